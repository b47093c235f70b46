import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  ForbiddenError,
  fieldIssues,
  formatIssues,
  type Principal,
  RejectError,
  type TokenVerifier,
} from '../core/mod.ts';

/**
 * Browser sign-in: the board's fetches and its EventSource cannot send an Authorization header, so a verified
 * token is kept in an HttpOnly, SameSite=Strict cookie. The token itself is the session: nothing is stored.
 */
export const SESSION_COOKIE = 'dockside_session';

/** The value of one cookie from a Cookie header (RFC 6265 pairs; no dependency for this). */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq < 0 || pair.slice(0, eq).trim() !== name) continue;
    let value = pair.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    try {
      return decodeURIComponent(value) || undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

function cookie(req: FastifyRequest, value: string, maxAgeSeconds: number): string {
  const secure = req.protocol === 'https' ? '; Secure' : '';
  return `${SESSION_COOKIE}=${value}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${maxAgeSeconds}${secure}`;
}

export function clearSessionCookie(reply: FastifyReply): void {
  reply.header('set-cookie', `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`);
}

/** A ready-made demo identity offered as a button on /signin (only `dockside demo` passes these). */
export interface SigninUser {
  /** What the user stands for, e.g. "Account owner". */
  readonly label: string;
  readonly principal: Principal;
  readonly token: string;
}

export interface SessionOptions {
  readonly verifier: TokenVerifier;
  /** When set (demo), `GET /api/session/demo-users` lists them; otherwise that route does not exist. */
  readonly demoUsers?: readonly SigninUser[];
}

export const sessionBody = z.object({ token: z.string().min(1).max(16_384) });

export function registerSessionRoutes(app: FastifyInstance, opts: SessionOptions): void {
  app.get('/signin', async (_req, reply) => reply.type('text/html; charset=utf-8').send(signinPage));
  app.get('/signin.js', async (_req, reply) =>
    reply.type('text/javascript; charset=utf-8').send(signinScript),
  );

  app.post('/api/session', async (req, reply) => {
    // A public route, so the access hook's CSRF check does not apply: a cross-site form cannot send JSON.
    const type = req.headers['content-type'];
    if (typeof type !== 'string' || !/^application\/json\s*(;|$)/i.test(type)) {
      throw new ForbiddenError('POST /api/session must send content-type application/json', {
        code: 'CSRF_REJECTED',
      });
    }
    const parsed = sessionBody.safeParse(req.body);
    if (!parsed.success) {
      const issues = fieldIssues(parsed.error, req.body);
      throw new RejectError('REQUEST_INVALID', formatIssues(issues), issues, { cause: parsed.error });
    }
    const { principal, expiresAt } = await opts.verifier.verify(parsed.data.token);
    const maxAge = Math.max(0, Math.floor((expiresAt - Date.now()) / 1000));
    reply.header('set-cookie', cookie(req, parsed.data.token, maxAge));
    return { principal, expiresAt: new Date(expiresAt).toISOString() };
  });

  app.delete('/api/session', async (_req, reply) => {
    clearSessionCookie(reply);
    return reply.code(204).send();
  });

  const demoUsers = opts.demoUsers;
  if (demoUsers) {
    app.get('/api/session/demo-users', async () => ({
      items: demoUsers.map((u) => ({
        label: u.label,
        userId: u.principal.userId,
        name: u.principal.name,
        roles: u.principal.roles,
        token: u.token,
      })),
    }));
  }
}

/** The sign-in page: paste a token, or (demo) pick a ready-made user. Plain HTML; its script is /signin.js. */
export const signinPage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Dockside · Sign in</title>
<style>
  body { margin:0; font:14px/1.4 system-ui, sans-serif; background:#0f1720; color:#e6edf3; }
  main { max-width:640px; margin:48px auto; padding:0 20px; }
  h1 { font-size:20px; }
  textarea, button { background:#17212b; color:#e6edf3; border:1px solid #30404f; border-radius:4px; padding:6px 10px; }
  textarea { width:100%; height:96px; font:12px monospace; }
  button { cursor:pointer; margin:4px 4px 4px 0; }
  .muted { color:#8b98a5; }
  #error { color:#f85149; min-height:1.4em; }
  #demo button { display:block; width:100%; text-align:left; }
</style>
</head>
<body>
<main>
  <h1>Dockside · Sign in</h1>
  <p class="muted">Paste a token from your identity provider, or mint one with <code>dockside token --user you --role admin</code>.</p>
  <textarea id="token" placeholder="eyJhbGciOi…" autocomplete="off" spellcheck="false"></textarea>
  <button id="signin">Sign in</button>
  <p id="error" role="alert"></p>
  <section id="demo" hidden>
    <h2>Demo users</h2>
    <div id="demo-users"></div>
  </section>
</main>
<script src="/signin.js"></script>
</body>
</html>`;

/** The sign-in page's script: served as a file, since the pages' CSP allows no inline script. */
export const signinScript = `const $ = (id) => document.getElementById(id);
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&':'&amp;', '<':'&lt;', '>':'&gt;', '"':'&quot;', "'":'&#39;' }[c]));
const wanted = new URLSearchParams(location.search).get('next') || '/';
// Only a path on this server: never an open redirect.
const next = wanted.startsWith('/') && !wanted.startsWith('//') ? wanted : '/';
async function signIn(token) {
  $('error').textContent = '';
  const res = await fetch('/api/session', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: token.trim() }) });
  if (res.ok) { location.href = next; return; }
  const body = await res.json().catch(() => ({}));
  $('error').textContent = (body.error && body.error.message) || res.statusText;
}
$('signin').addEventListener('click', () => signIn($('token').value));
const tokens = new Map();
fetch('/api/session/demo-users').then((r) => (r.ok ? r.json() : null)).then((d) => {
  if (!d || !d.items.length) return;
  for (const u of d.items) tokens.set(u.userId, u.token);
  $('demo-users').innerHTML = d.items.map((u) => '<button data-user-id="' + esc(u.userId) + '">' + esc(u.label) + ' · '
    + esc(u.name) + ' <span class="muted">(' + esc(u.roles.join(', ')) + ')</span></button>').join('');
  $('demo').hidden = false;
  // A demo sign-in link (/signin?user=owner-ana, printed by \`dockside demo\`) picks that user.
  const wantedUser = new URLSearchParams(location.search).get('user');
  if (wantedUser && tokens.has(wantedUser)) signIn(tokens.get(wantedUser));
}).catch(() => { /* not a demo: paste a token */ });
$('demo-users').addEventListener('click', (e) => {
  const btn = e.target.closest('button');
  if (btn) signIn(tokens.get(btn.dataset.userId) || '');
});
`;
