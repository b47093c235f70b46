import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { Board } from '../board/board.tsx';
import { ForecastDesk } from '../forecasts/desk.tsx';
import { Inbox } from '../inbox/inbox.tsx';
import { KpiStrip } from '../kpi/strip.tsx';
import { Operations } from '../ops/operations.tsx';
import { api, signIn } from '../shared/api.ts';
import { match, navigate, useLocation } from '../shared/router.ts';
import { can, type Me, MeContext } from '../shared/session.ts';
import { ThemeToggle } from './theme.tsx';

interface Screen {
  readonly path: string;
  readonly label: string;
  readonly permission: string;
  /** Paths (patterns) this screen also answers, e.g. a detail view. */
  readonly also: readonly string[];
  readonly render: (params: Record<string, string>) => ComponentChildren;
}

/** The screens, each shown only to people whose roles grant its permission (the API refuses the rest). */
const screens: readonly Screen[] = [
  {
    path: '/board',
    label: 'Exception board',
    permission: 'exceptions:read',
    also: ['/exceptions/:id'],
    render: (p) => <Board selected={p.id} />,
  },
  {
    path: '/approvals',
    label: 'Approvals',
    permission: 'approvals:read',
    also: ['/approvals/:id', '/writebacks/:id'],
    render: (p) => <Inbox selected={p.id} />,
  },
  {
    path: '/forecasts',
    label: 'Forecasts',
    permission: 'forecasts:read',
    also: [],
    render: () => <ForecastDesk />,
  },
  { path: '/ops', label: 'Operations', permission: 'quality:read', also: [], render: () => <Operations /> },
];

function pick(path: string, me: Me): { screen: Screen; params: Record<string, string> } | undefined {
  const allowed = screens.filter((s) => can(me, s.permission));
  for (const s of allowed) {
    for (const pattern of [s.path, ...s.also]) {
      const params = match(pattern, path);
      if (params) return { screen: s, params };
    }
  }
  return undefined;
}

export function App() {
  const [me, setMe] = useState<Me | undefined>();
  const [failed, setFailed] = useState<string | undefined>();
  const loc = useLocation();
  useEffect(() => {
    api<Me>('/api/me').then(setMe, (err: unknown) => setFailed(String(err)));
  }, []);
  if (failed) return <p class="boot">Dockside could not load: {failed}</p>;
  if (!me) return <p class="boot">Loading Dockside…</p>;
  const first = screens.find((s) => can(me, s.permission));
  const found = pick(loc.path, me);
  if (!found && first && (loc.path === '/' || !screens.some((s) => s.path === loc.path))) {
    navigate(first.path, { replace: true });
    return null;
  }
  return (
    <MeContext.Provider value={me}>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <span class="brand">Dockside</span>
        <nav aria-label="Screens">
          {screens
            .filter((s) => can(me, s.permission))
            .map((s) => (
              <a
                key={s.path}
                href={s.path}
                aria-current={found?.screen === s ? 'page' : undefined}
                onClick={(e) => {
                  e.preventDefault();
                  navigate(s.path);
                }}
              >
                {s.label}
              </a>
            ))}
        </nav>
        <span class="who">
          <span title={me.roles.join(', ')}>{me.name}</span>
          <ThemeToggle />
          <button
            type="button"
            class="link"
            onClick={() => {
              void fetch('/api/session', { method: 'DELETE', credentials: 'same-origin' }).then(signIn);
            }}
          >
            Sign out
          </button>
        </span>
      </header>
      <KpiStrip />
      <main id="main">
        {found ? found.screen.render(found.params) : <p class="empty">Nothing here for your roles.</p>}
      </main>
    </MeContext.Provider>
  );
}
