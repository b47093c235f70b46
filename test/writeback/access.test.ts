import path from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  AccessPolicy,
  AuthenticationError,
  accessFor,
  createLogger,
  createTokenVerifier,
  defaultPolicy,
  ForbiddenError,
  loadConfig,
  loadPolicy,
  type Permission,
  type Policy,
} from '../../core/mod.ts';
import {
  buildServer,
  registeredRoutes,
  routeTable,
  type SigninUser,
  unclassifiedRoutes,
} from '../../dashboards/mod.ts';
import { testAuth } from '../helpers/auth.ts';
import { startTestDockside, type TestDockside } from '../helpers/dockside.ts';
import { repoRoot } from '../helpers/env.ts';

const TEMPLATE = path.join(repoRoot, 'policies/exception_to_crm_writeback.template.yaml');
const template = loadPolicy(TEMPLATE);

/** The one table entry a plain server does not serve: the demo's list of sign-in users. */
const notYetServed = new Set(['GET /api/session/demo-users']);

const errorBody = z.object({
  error: z.object({ code: z.string(), message: z.string() }),
  requestId: z.string(),
});

/** A request to a route pattern: parameters filled with a probe id, bodies as empty JSON. */
function request(method: string, url: string): InjectOptions {
  const concrete = url.replace(/:[A-Za-z]+/g, 'probe-id');
  const withBody = method === 'POST' || method === 'PUT' || method === 'PATCH';
  return {
    method: method as InjectOptions['method'],
    url: concrete,
    ...(withBody ? { headers: { 'content-type': 'application/json' }, payload: '{}' } : {}),
    // The live stream never ends: take its status line, then drop it.
    ...(url === '/api/stream' ? { payloadAsStream: true } : {}),
  };
}

interface Answer {
  readonly statusCode: number;
  readonly headers: LightMyRequestResponse['headers'];
  readonly body: string;
}

/** inject(), reading a streamed answer's body unless it is the never-ending event stream. */
async function send(app: FastifyInstance, opts: InjectOptions): Promise<Answer> {
  const res = await app.inject(opts);
  if (!opts.payloadAsStream) return res;
  const stream = res.stream();
  if (String(res.headers['content-type']).startsWith('text/event-stream')) {
    stream.destroy();
    return { statusCode: res.statusCode, headers: res.headers, body: '' };
  }
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return { statusCode: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString() };
}

function bodyOf(res: Answer): z.infer<typeof errorBody> {
  return errorBody.parse(JSON.parse(res.body));
}

describe('the API behind the access hook', () => {
  let t: TestDockside;
  beforeAll(async () => {
    t = await startTestDockside('access', { POLICY_FILE: TEMPLATE });
  });
  afterAll(async () => {
    await t?.close();
  });
  const access = new AccessPolicy(template);
  const roles = [...access.knownRoles(), 'intern'];

  it('classifies every route the server registers, and serves every route of the table but the demo-only one', () => {
    const server = t.dockside.server;
    expect(unclassifiedRoutes(server)).toEqual([]);
    expect(registeredRoutes(server).length).toBeGreaterThan(15);
    for (const { method, url } of routeTable()) {
      if (!server.hasRoute({ method: method as 'GET', url }))
        expect(notYetServed).toContain(`${method} ${url}`);
    }
  });

  it('answers every route × every role as the table says', async () => {
    const server = t.dockside.server;
    let checked = 0;
    for (const { method, url, permission } of routeTable()) {
      if (!server.hasRoute({ method: method as 'GET', url })) continue;
      for (const role of roles) {
        const opts = request(method, url);
        const res = await send(server, { ...opts, headers: { ...opts.headers, ...t.auth.headersFor(role) } });
        const where = `${method} ${url} as ${role}: ${res.statusCode}`;
        const allowed =
          permission === 'public' ||
          permission === 'authenticated' ||
          access.can({ roles: [role] }, permission);
        if (allowed) {
          expect([401, 403], where).not.toContain(res.statusCode);
        } else {
          expect(res.statusCode, where).toBe(403);
          const body = bodyOf(res);
          expect(body.error.code, where).toBe('FORBIDDEN');
          expect(body.error.message, where).toContain(`needs the permission ${permission}`);
        }
        checked++;
      }
    }
    const served = routeTable().filter((r) => server.hasRoute({ method: r.method as 'GET', url: r.url }));
    expect(checked).toBe(served.length * roles.length);
    expect(checked).toBeGreaterThan(150);
  });

  it('answers 401 without a token, with a bad signature, expired, or a non-Bearer header', async () => {
    const server = t.dockside.server;
    const forged = t.auth.tokenFor(['admin'], { secret: 'not-the-server-secret-00000000000000' });
    const expired = t.auth.tokenFor(['admin'], { expiresIn: -3600 });
    const cases: [string, Record<string, string>, string, RegExp][] = [
      ['no token', {}, 'UNAUTHENTICATED', /^Bearer realm="dockside"$/],
      ['bad signature', { authorization: `Bearer ${forged}` }, 'TOKEN_INVALID', /error="invalid_token"/],
      ['expired', { authorization: `Bearer ${expired}` }, 'TOKEN_EXPIRED', /error="invalid_token"/],
      ['basic auth', { authorization: 'Basic YWRtaW46YWRtaW4=' }, 'TOKEN_INVALID', /error="invalid_token"/],
    ];
    let checked = 0;
    for (const { method, url, permission } of routeTable()) {
      if (!server.hasRoute({ method: method as 'GET', url })) continue;
      for (const [what, headers, code, challenge] of cases) {
        const opts = request(method, url);
        const res = await send(server, { ...opts, headers: { ...opts.headers, ...headers } });
        const where = `${method} ${url} with ${what}: ${res.statusCode}`;
        if (permission === 'public') {
          expect([401, 403], where).not.toContain(res.statusCode);
          continue;
        }
        expect(res.statusCode, where).toBe(401);
        expect(String(res.headers['www-authenticate']), where).toMatch(challenge);
        expect(bodyOf(res).error.code, where).toBe(code);
        checked++;
      }
    }
    const protectedServed = routeTable().filter(
      (r) => r.permission !== 'public' && server.hasRoute({ method: r.method as 'GET', url: r.url }),
    );
    expect(protectedServed.length).toBeGreaterThan(10);
    expect(checked).toBe(protectedServed.length * cases.length);
  });

  it('lets HEAD follow GET and keeps unknown URLs a 404', async () => {
    const server = t.dockside.server;
    expect((await server.inject({ method: 'HEAD', url: '/healthz' })).statusCode).toBe(200);
    expect((await server.inject({ method: 'HEAD', url: '/api/exceptions' })).statusCode).toBe(401);
    const head = await server.inject({
      method: 'HEAD',
      url: '/api/exceptions',
      headers: t.headers('planner'),
    });
    expect(head.statusCode).toBe(200);
    const missing = await server.inject({ url: '/api/no-such-thing' });
    expect(missing.statusCode).toBe(404);
  });

  it('tells a caller who they are and what they may do', async () => {
    const res = await t.inject({ url: '/api/me' }, 'warehouse_supervisor');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      userId: 'user-warehouse_supervisor',
      name: 'user-warehouse_supervisor',
      roles: ['warehouse_supervisor'],
      regions: [],
      permissions: ['exceptions:read', 'quality:read', 'forecasts:read', 'policy:read'],
    });
  });

  it('signs a browser in with a cookie, refuses cookie POSTs that are not JSON (CSRF), and signs out', async () => {
    const server = t.dockside.server;
    const token = t.auth.tokenFor(['ops_dispatch_manager'], { userId: 'dana', expiresIn: 600 });
    const asForm = await server.inject({
      method: 'POST',
      url: '/api/session',
      headers: { 'content-type': 'text/plain' },
      payload: JSON.stringify({ token }),
    });
    expect(asForm.statusCode).toBe(403);
    expect(bodyOf(asForm).error.code).toBe('CSRF_REJECTED');
    const bad = await server.inject({ method: 'POST', url: '/api/session', payload: { token: 'x.y.z' } });
    expect(bad.statusCode).toBe(401);
    const noToken = await server.inject({ method: 'POST', url: '/api/session', payload: {} });
    expect(noToken.statusCode).toBe(400);
    expect(bodyOf(noToken).error.message).toBe('token: got undefined (missing), expected string');

    const signin = await server.inject({ method: 'POST', url: '/api/session', payload: { token } });
    expect(signin.statusCode).toBe(200);
    expect(signin.json()).toMatchObject({ principal: { userId: 'dana', roles: ['ops_dispatch_manager'] } });
    const setCookie = String(signin.headers['set-cookie']);
    expect(setCookie).toMatch(new RegExp(`^dockside_session=${token.replace(/\./g, '\\.')}; `));
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Strict');
    expect(setCookie).toContain('Path=/');
    const maxAge = Number(/Max-Age=(\d+)/.exec(setCookie)?.[1]);
    expect(maxAge).toBeGreaterThan(500);
    expect(maxAge).toBeLessThanOrEqual(600);

    const cookie = { cookie: `theme=dark; dockside_session=${token}` };
    const me = await server.inject({ url: '/api/me', headers: cookie });
    expect(me.json()).toMatchObject({ userId: 'dana' });
    const stream = await send(server, { url: '/api/stream', headers: cookie, payloadAsStream: true });
    expect(stream.statusCode).toBe(200);

    const form = await server.inject({
      method: 'POST',
      url: '/api/exceptions/probe-id/assign',
      headers: { ...cookie, 'content-type': 'text/plain' },
      payload: '{"assignee":"mallory"}',
    });
    expect(form.statusCode).toBe(403);
    expect(bodyOf(form).error.code).toBe('CSRF_REJECTED');
    const json = await server.inject({
      method: 'POST',
      url: '/api/exceptions/probe-id/assign',
      headers: { ...cookie, 'content-type': 'application/json' },
      payload: '{"assignee":"dana","expectedVersion":1}',
    });
    expect(json.statusCode).toBe(404);
    // The same text/plain POST with a bearer header is no cross-site request: not refused as CSRF.
    const bearer = await server.inject({
      method: 'POST',
      url: '/api/exceptions/probe-id/assign',
      headers: { ...t.headers('ops_dispatch_manager'), 'content-type': 'text/plain' },
      payload: '{"assignee":"dana"}',
    });
    expect([401, 403]).not.toContain(bearer.statusCode);

    const stale = await server.inject({
      url: '/api/me',
      headers: { cookie: `dockside_session=${t.auth.tokenFor(['admin'], { expiresIn: -600 })}` },
    });
    expect(stale.statusCode).toBe(401);
    expect(String(stale.headers['set-cookie'])).toContain('dockside_session=; ');

    const signout = await server.inject({ method: 'DELETE', url: '/api/session' });
    expect(signout.statusCode).toBe(204);
    expect(String(signout.headers['set-cookie'])).toMatch(/^dockside_session=; .*Max-Age=0/);
  });

  it('serves the sign-in page without a token, and no demo users outside the demo', async () => {
    const page = await t.dockside.server.inject({ url: '/signin?next=/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.body).toContain('id="token"');
    expect((await t.dockside.server.inject({ url: '/api/session/demo-users' })).statusCode).toBe(404);
  });
});

describe('buildServer on its own', () => {
  const auth = testAuth();
  const config = loadConfig({}, { DOCKSIDE_JWT_SECRET: auth.secret });

  async function serverWith(opts: {
    enabled?: boolean;
    routes?: ((app: FastifyInstance) => void)[];
    policy?: () => Policy;
    demoUsers?: SigninUser[];
  }) {
    const lines: string[] = [];
    const logger = createLogger(
      { logLevel: 'info' },
      new Writable({
        write(chunk: Buffer, _enc, done) {
          lines.push(chunk.toString());
          done();
        },
      }),
    );
    const app = buildServer({
      logger,
      maxBodyBytes: 1 << 20,
      metricsText: async () => '# no metrics\n',
      routes: opts.routes ?? [],
      auth: {
        enabled: opts.enabled ?? true,
        verifier: await createTokenVerifier(config.writeback.auth),
        access: accessFor(opts.policy ?? (() => template)),
        ...(opts.demoUsers ? { demoUsers: opts.demoUsers } : {}),
      },
    });
    await app.ready();
    return { app, lines };
  }

  it('refuses a route that has no entry in the table, even for an admin, and says so at start', async () => {
    const { app, lines } = await serverWith({
      routes: [(a) => a.get('/api/unclassified', async () => ({ secret: true }))],
    });
    try {
      expect(unclassifiedRoutes(app)).toEqual(['GET /api/unclassified', 'HEAD /api/unclassified']);
      expect(lines.join('')).toContain('routes without an access-table entry');
      const res = await app.inject({ url: '/api/unclassified', headers: auth.headersFor('admin') });
      expect(res.statusCode).toBe(403);
      expect(bodyOf(res).error).toMatchObject({
        code: 'ROUTE_NOT_CLASSIFIED',
        message: 'GET /api/unclassified is not classified in the access table: refused',
      });
      expect(res.body).not.toContain('secret');
    } finally {
      await app.close();
    }
  });

  it('answers object-level refusals thrown by handlers in the same shape (403, and 401 with its challenge)', async () => {
    const { app } = await serverWith({
      routes: [
        (a) =>
          a.post('/api/approvals/:id/approve', async () => {
            throw new ForbiddenError('approval probe-id is for account CUST-007, which owner-bob owns');
          }),
        (a) =>
          a.get('/api/approvals/:id', async () => {
            throw new AuthenticationError('TOKEN_EXPIRED', 'token expired: sign in again');
          }),
      ],
    });
    try {
      const refused = await app.inject({
        method: 'POST',
        url: '/api/approvals/probe-id/approve',
        headers: auth.headersFor('account_owner', { userId: 'owner-ana' }),
        payload: { reason: 'ok' },
      });
      expect(refused.statusCode).toBe(403);
      expect(bodyOf(refused).error).toEqual({
        code: 'FORBIDDEN',
        message: 'approval probe-id is for account CUST-007, which owner-bob owns',
      });
      // The route's permission is checked before the handler: a planner or a supervisor never reaches it.
      for (const role of ['planner', 'warehouse_supervisor', 'ops_dispatch_manager']) {
        const denied = await app.inject({
          method: 'POST',
          url: '/api/approvals/probe-id/approve',
          headers: auth.headersFor(role),
          payload: { reason: 'ok' },
        });
        expect(denied.statusCode, role).toBe(403);
        expect(bodyOf(denied).error.message).toContain('needs the permission approvals:decide');
      }
      const expired = await app.inject({ url: '/api/approvals/x', headers: auth.headersFor('admin') });
      expect(expired.statusCode).toBe(401);
      expect(expired.headers['www-authenticate']).toContain('error="invalid_token"');
    } finally {
      await app.close();
    }
  });

  it('follows a policy swapped at run time', async () => {
    let policy: Policy = template;
    const { app } = await serverWith({ policy: () => policy });
    try {
      const headers = auth.headersFor('ops_dispatch_manager');
      const me = async () =>
        (await app.inject({ url: '/api/me', headers })).json() as { permissions: Permission[] };
      expect((await me()).permissions).toContain('exceptions:act');
      policy = defaultPolicy;
      expect((await me()).permissions).toEqual([]);
      expect((await app.inject({ url: '/metrics', headers: auth.headersFor('monitor') })).statusCode).toBe(
        200,
      );
      expect((await app.inject({ url: '/metrics', headers })).statusCode).toBe(403);
    } finally {
      await app.close();
    }
  });

  it('in open mode treats every request as the local admin, warns, and still refuses unclassified routes', async () => {
    const { app, lines } = await serverWith({
      enabled: false,
      routes: [(a) => a.get('/api/unclassified', async () => ({}))],
    });
    try {
      expect(lines.join('')).toContain('authentication is OFF');
      const me = await app.inject({ url: '/api/me' });
      expect(me.statusCode).toBe(200);
      expect(me.json()).toMatchObject({ userId: 'local', roles: ['admin'], regions: ['*'], open: true });
      expect((await app.inject({ url: '/metrics' })).statusCode).toBe(200);
      expect((await app.inject({ url: '/api/unclassified' })).statusCode).toBe(403);
    } finally {
      await app.close();
    }
  });

  it('lists demo users with their tokens only when given some', async () => {
    const token = auth.tokenFor(['planner'], { userId: 'planner-pat' });
    const { app } = await serverWith({
      demoUsers: [
        {
          label: 'Planner',
          token,
          principal: { userId: 'planner-pat', name: 'Pat', roles: ['planner'], regions: [] },
        },
      ],
    });
    try {
      const res = await app.inject({ url: '/api/session/demo-users' });
      expect(res.json()).toEqual({
        items: [{ label: 'Planner', userId: 'planner-pat', name: 'Pat', roles: ['planner'], token }],
      });
    } finally {
      await app.close();
    }
  });
});
