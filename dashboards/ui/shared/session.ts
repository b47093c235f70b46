import { createContext } from 'preact';
import { useContext } from 'preact/hooks';

/** Who is signed in (GET /api/me): what the screens show follows these permissions; the server enforces them. */
export interface Me {
  readonly userId: string;
  readonly name: string;
  readonly roles: readonly string[];
  readonly regions: readonly string[];
  readonly permissions: readonly string[];
  readonly open?: boolean;
}

export const MeContext = createContext<Me | undefined>(undefined);

export function useMe(): Me {
  const me = useContext(MeContext);
  if (!me) throw new Error('useMe outside the signed-in app');
  return me;
}

export function can(me: Me, permission: string): boolean {
  return me.permissions.includes(permission);
}
