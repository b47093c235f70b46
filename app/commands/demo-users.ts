import { type AuthConfig, mintToken } from '../../core/mod.ts';
import type { SigninUser } from '../../dashboards/mod.ts';

/** One ready-made identity per role of the shipped policy template, for `dockside demo` and its /signin page. */
export interface DemoUser {
  readonly label: string;
  readonly userId: string;
  readonly name: string;
  readonly roles: readonly string[];
  readonly regions: readonly string[];
}

/**
 * Fake people. The user ids are the ones the simulator's directory files use (app/simulator/directory/), so an
 * account owner signed in here owns customers there (owner-ana).
 */
export const demoUsers: readonly DemoUser[] = [
  {
    label: 'Dispatch lead',
    userId: 'dispatch-dana',
    name: 'Dana Dispatch',
    roles: ['ops_dispatch_manager'],
    regions: [],
  },
  {
    label: 'Exception lead',
    userId: 'exceptions-eli',
    name: 'Eli Exceptions',
    roles: ['ops_exception_lead'],
    regions: [],
  },
  {
    label: 'RevOps manager',
    userId: 'revops-rita',
    name: 'Rita RevOps',
    roles: ['revops_manager'],
    regions: ['us-midwest', 'us-southeast'],
  },
  { label: 'Account owner', userId: 'owner-ana', name: 'Ana Owner', roles: ['account_owner'], regions: [] },
  {
    label: 'Warehouse supervisor',
    userId: 'supervisor-sam',
    name: 'Sam Supervisor',
    roles: ['warehouse_supervisor'],
    regions: [],
  },
  { label: 'Planner', userId: 'planner-pat', name: 'Pat Planner', roles: ['planner'], regions: [] },
  { label: 'Admin', userId: 'admin', name: 'Demo Admin', roles: ['admin'], regions: ['*'] },
  { label: 'Ingest service', userId: 'ingest-feed', name: 'Ingest feed', roles: ['ingest'], regions: [] },
];

/** Mints one token per demo user with the configured HS256 secret or the development secret. */
export async function mintDemoTokens(auth: AuthConfig, ttl: string): Promise<SigninUser[]> {
  return Promise.all(
    demoUsers.map(async (u) => {
      const minted = await mintToken(
        auth,
        { userId: u.userId, name: u.name, roles: u.roles, regions: u.regions },
        ttl,
      );
      return { label: u.label, principal: minted.principal, token: minted.token };
    }),
  );
}
