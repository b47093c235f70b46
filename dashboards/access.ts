import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  type AccessPolicy,
  AuthenticationError,
  anonymousPrincipal,
  ForbiddenError,
  type Logger,
  openPrincipal,
  type Permission,
  type Principal,
  type TokenVerifier,
} from '../core/mod.ts';
import { sendReject } from './errors.ts';
import { clearSessionCookie, cookieValue, SESSION_COOKIE } from './session.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is asking: set by the access hook before any handler runs (anonymous on public routes). */
    principal: Principal;
  }
}

export type RouteRule = Permission | 'public' | 'authenticated';

/**
 * Every route of the API and what it needs, keyed `METHOD url` exactly as Fastify's routeOptions.url.
 * A route missing here is refused (fail closed); HEAD follows its GET.
 */
export const routePermissions: Readonly<Record<string, RouteRule>> = Object.freeze({
  // the board, sign-in and health
  // the web app: a page shell and its bundle (data comes from the API, which checks every call)
  'GET /': 'public',
  'GET /board': 'public',
  'GET /exceptions/:id': 'public',
  'GET /approvals': 'public',
  'GET /approvals/:id': 'public',
  'GET /writebacks/:id': 'public',
  'GET /forecasts': 'public',
  'GET /ops': 'public',
  'GET /ui/app.js': 'public',
  'GET /ui/app.css': 'public',
  'GET /healthz': 'public',
  'GET /signin': 'public',
  'GET /signin.js': 'public',
  'POST /api/session': 'public',
  'DELETE /api/session': 'public',
  'GET /api/session/demo-users': 'public',
  'GET /api/me': 'authenticated',
  'GET /metrics': 'metrics:read',
  'GET /api/stream': 'exceptions:read',
  // ingest
  'POST /api/events': 'events:write',
  'GET /api/dead-letters': 'quality:read',
  'GET /api/quality': 'quality:read',
  // exceptions
  'GET /api/exceptions': 'exceptions:read',
  'GET /api/exceptions/:id': 'exceptions:read',
  'POST /api/exceptions/:id/assign': 'exceptions:act',
  'POST /api/exceptions/:id/resolve': 'exceptions:act',
  // incidents: exceptions with one probable cause; an action acts on each member
  'GET /api/incidents': 'exceptions:read',
  'GET /api/incidents/:id': 'exceptions:read',
  'POST /api/incidents/:id/assign': 'exceptions:act',
  'POST /api/incidents/:id/resolve': 'exceptions:act',
  // forecasting
  'GET /api/forecasts': 'forecasts:read',
  'GET /api/forecasts/accuracy': 'forecasts:read',
  'GET /api/forecasts/alerts': 'forecasts:read',
  'GET /api/forecasts/live': 'forecasts:read',
  'GET /api/forecasts/openapi.json': 'forecasts:read',
  // write-back
  'GET /api/customers/:id': 'customers:read',
  'POST /api/customers': 'customers:write',
  'GET /api/approvals': 'approvals:read',
  'GET /api/approvals/:id': 'approvals:read',
  'POST /api/approvals/:id/approve': 'approvals:decide',
  'POST /api/approvals/:id/reject': 'approvals:decide',
  'POST /api/exceptions/:id/writeback': 'writeback:trigger',
  'GET /api/writebacks': 'writebacks:read',
  'GET /api/writebacks/:id': 'writebacks:read',
  'POST /api/writebacks/:id/rollback': 'writebacks:rollback',
  'POST /api/writebacks/:id/redrive': 'writebacks:redrive',
  'GET /api/audit': 'audit:read',
  'GET /api/audit/verify': 'audit:read',
  'GET /api/policy': 'policy:read',
  'GET /api/writeback/shadow': 'audit:read',
  // screens: board (exceptions detail, evidence, live feed)
  'GET /api/exceptions/counts': 'exceptions:read',
  'GET /api/exceptions/:id/evidence': 'exceptions:read',
  'GET /api/exceptions/:id/writeback': 'exceptions:read',
  'GET /api/exceptions/:id/history': 'exceptions:read',
  // screens: inbox
  // screens: forecast desk
  'GET /api/forecasts/lanes': 'forecasts:read',
  'GET /api/forecasts/series': 'forecasts:read',
  'GET /api/forecasts/trucks': 'forecasts:read',
  // screens: KPIs and operations
  'GET /api/kpis': 'policy:read',
  'GET /api/ops': 'quality:read',
  // screens: API docs
  // (public: the OpenAPI document shows the API's shape only; `HEAD /docs/` is Fastify's trailing-slash twin)
  'GET /docs': 'public',
  'HEAD /docs/': 'public',
  'GET /docs/json': 'public',
  'GET /docs/yaml': 'public',
  'GET /docs/static/*': 'public',
  'GET /docs/static/index.html': 'public',
  'GET /docs/static/swagger-initializer.js': 'public',
  'GET /docs/static/theme/dockside.css': 'public',
  'GET /docs/static/theme/dockside.js': 'public',
});

export interface RouteEntry {
  readonly method: string;
  readonly url: string;
  readonly permission: RouteRule;
}

/** The table as rows, for docs and the authorization matrix test. */
export function routeTable(): RouteEntry[] {
  return Object.entries(routePermissions).map(([key, permission]) => {
    const [method = '', url = ''] = key.split(' ');
    return { method, url, permission };
  });
}

export function ruleFor(method: string, url: string | undefined): RouteRule | undefined {
  if (url === undefined) return undefined;
  return (
    routePermissions[`${method} ${url}`] ?? (method === 'HEAD' ? routePermissions[`GET ${url}`] : undefined)
  );
}

export interface AccessOptions {
  /** false: the open local mode (DOCKSIDE_AUTH=off); every request acts as the local admin. */
  readonly enabled: boolean;
  readonly verifier: TokenVerifier;
  /** The current roles → permissions (the policy can be reloaded while running). */
  readonly access: () => AccessPolicy;
  readonly logger: Logger;
}

const registered = new WeakMap<FastifyInstance, { method: string; url: string }[]>();

/** Routes registered on `app` after registerAccessControl, as `{ method, url }` (HEAD routes included). */
export function registeredRoutes(app: FastifyInstance): { method: string; url: string }[] {
  return [...(registered.get(app) ?? [])];
}

/** Registered routes the table does not classify: each answers 403 ROUTE_NOT_CLASSIFIED. */
export function unclassifiedRoutes(app: FastifyInstance): string[] {
  return registeredRoutes(app)
    .filter((r) => ruleFor(r.method, r.url) === undefined)
    .map((r) => `${r.method} ${r.url}`);
}

type Credential = { token: string; via: 'header' | 'cookie' } | { malformed: string };

function credentialOf(req: FastifyRequest): Credential | undefined {
  const header = req.headers.authorization;
  if (header !== undefined) {
    const m = /^Bearer[ ]+([A-Za-z0-9._~+/=-]+)[ ]*$/i.exec(header);
    return m?.[1]
      ? { token: m[1], via: 'header' }
      : { malformed: 'Authorization: expected "Bearer <token>"' };
  }
  const cookie = cookieValue(req.headers.cookie, SESSION_COOKIE);
  return cookie ? { token: cookie, via: 'cookie' } : undefined;
}

/** A form can send a cross-site POST with a cookie, but not with this content type (CSRF). */
function isJson(req: FastifyRequest): boolean {
  const type = req.headers['content-type'];
  return typeof type === 'string' && /^application\/json\s*(;|$)/i.test(type);
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The one choke point: an onRequest hook that classifies the route, authenticates the caller and checks
 * the route's permission before any handler (or body parsing) runs. Also serves `GET /api/me`.
 */
export function registerAccessControl(app: FastifyInstance, opts: AccessOptions): void {
  const log = opts.logger.child({ mod: 'access' });
  const routes: { method: string; url: string }[] = [];
  registered.set(app, routes);
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) routes.push({ method, url: r.url });
  });
  // Declared up front for a stable request shape; the hook below sets it on every request before handlers.
  app.decorateRequest('principal', null as unknown as Principal);

  app.addHook('onRequest', async (req, reply) => {
    // Unknown URLs stay 404 (the not-found handler has no route to classify).
    if (req.is404) {
      req.principal = opts.enabled ? anonymousPrincipal : openPrincipal;
      return;
    }
    const url = req.routeOptions.url;
    const rule = ruleFor(req.method, url);
    if (rule === undefined) {
      log.warn({ method: req.method, route: url }, 'route has no entry in the access table: refused');
      return sendReject(
        req,
        reply,
        new ForbiddenError(`${req.method} ${url} is not classified in the access table: refused`, {
          code: 'ROUTE_NOT_CLASSIFIED',
        }),
      );
    }
    if (!opts.enabled) {
      req.principal = openPrincipal;
      return;
    }
    if (rule === 'public') {
      req.principal = anonymousPrincipal;
      return;
    }
    const denied = await authenticate(req, reply, opts);
    if (denied) return denied;
    if (rule === 'authenticated') return;
    if (!opts.access().can(req.principal, rule)) {
      log.info({ method: req.method, route: url, permission: rule, roles: req.principal.roles }, 'forbidden');
      return sendReject(
        req,
        reply,
        new ForbiddenError(
          `${req.method} ${url} needs the permission ${rule}, which the roles [${req.principal.roles.join(', ')}] do not grant`,
        ),
      );
    }
  });

  app.get('/api/me', async (req) => ({
    ...req.principal,
    permissions: opts.access().permissionsOf(req.principal.roles),
  }));
}

/** Sets req.principal, or answers 401/403 and returns the reply. */
async function authenticate(
  req: FastifyRequest,
  reply: FastifyReply,
  opts: AccessOptions,
): Promise<FastifyReply | undefined> {
  const cred = credentialOf(req);
  if (!cred) {
    return sendReject(
      req,
      reply,
      new AuthenticationError(
        'UNAUTHENTICATED',
        'sign in: send "Authorization: Bearer <token>" (mint one with `dockside token`) or sign in at /signin',
      ),
    );
  }
  if ('malformed' in cred) {
    return sendReject(req, reply, new AuthenticationError('TOKEN_INVALID', cred.malformed));
  }
  try {
    req.principal = (await opts.verifier.verify(cred.token)).principal;
  } catch (err) {
    if (!(err instanceof AuthenticationError)) throw err;
    // A stale session cookie is dropped so the browser stops sending it.
    if (cred.via === 'cookie') clearSessionCookie(reply);
    return sendReject(req, reply, err);
  }
  if (cred.via === 'cookie' && !SAFE_METHODS.has(req.method) && !isJson(req)) {
    return sendReject(
      req,
      reply,
      new ForbiddenError(
        `${req.method} with the session cookie must send content-type application/json (cross-site request protection)`,
        { code: 'CSRF_REJECTED' },
      ),
    );
  }
  return undefined;
}
