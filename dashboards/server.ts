import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { AccessPolicy, HttpConfig, Logger, Metrics, TokenVerifier } from '../core/mod.ts';
import { registerAccessControl, registeredRoutes, unclassifiedRoutes } from './access.ts';
import { registerDocsRoutes } from './docs-routes.ts';
import { registerErrorHandler } from './errors.ts';
import { defaultHttpConfig, registerHardening } from './hardening.ts';
import type { LiveFeed } from './live.ts';
import { registerSessionRoutes, type SigninUser } from './session.ts';
import { registerStreamRoutes } from './stream.ts';
import { registerUiRoutes } from './ui-bundle.ts';

export interface ServerAuth {
  /** false: open local mode (DOCKSIDE_AUTH=off): every request is the local admin; warned at start. */
  readonly enabled: boolean;
  readonly verifier: TokenVerifier;
  /** The current roles → permissions; a function because the policy can be reloaded while running. */
  readonly access: () => AccessPolicy;
  /** Demo only: ready-made users offered on /signin. */
  readonly demoUsers?: readonly SigninUser[];
}

export interface ServerOptions {
  readonly logger: Logger;
  readonly maxBodyBytes: number;
  readonly live?: LiveFeed;
  readonly metricsText: () => Promise<string>;
  /** Each module registers its own routes (thin adapters over its core). */
  readonly routes: readonly ((app: FastifyInstance) => void)[];
  /** Identity and access for every route (dashboards/access.ts): required, so no server is open by omission. */
  readonly auth: ServerAuth;
  /** Host allow-list, proxy trust, rate limit, live-stream buffer (default: the configuration defaults). */
  readonly http?: HttpConfig;
  /** Where load shedding and dropped live clients are counted. */
  readonly metrics?: Pick<Metrics, 'liveDropped' | 'liveDropBuffered' | 'httpShed'>;
}

/** Builds the HTTP app without listening, so tests use inject() and `up` decides where to listen. */
export function buildServer(opts: ServerOptions): FastifyInstance {
  const http = opts.http ?? defaultHttpConfig();
  // A hop count becomes proxy-addr's function form (Fastify's types take no number).
  const trust = http.trustProxy;
  const trustProxy = typeof trust === 'number' ? (_addr: string, i: number) => i < trust : trust;
  const app = Fastify({
    // Request lines would flood the log at demo rates; the http child logs warnings and errors only.
    loggerInstance: opts.logger.child({ mod: 'http' }, { level: 'warn' }) as FastifyBaseLogger,
    bodyLimit: opts.maxBodyBytes,
    forceCloseConnections: true,
    trustProxy,
    genReqId: () => `req_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`,
  });
  registerErrorHandler(app, { bodyLimit: opts.maxBodyBytes, routes: () => registeredRoutes(app) });
  // Headers, Host check, rate limit and the JSON body guard come first: their hooks run before the access hook.
  registerHardening(app, http, opts.metrics);
  // Registered as a plugin so it loads after the hardening plugins, whose route hooks must see every route.
  app.register(
    Object.assign(
      async (root: FastifyInstance) => {
        registerRoutes(root, opts, http);
      },
      // Not encapsulated (what fastify-plugin does): the routes, parsers and hooks stay on the root instance.
      { [Symbol.for('skip-override')]: true },
    ),
  );
  return app;
}

function registerRoutes(app: FastifyInstance, opts: ServerOptions, http: HttpConfig): void {
  // Before any route: the access hook and the route recorder must see every route registered below.
  registerAccessControl(app, {
    enabled: opts.auth.enabled,
    verifier: opts.auth.verifier,
    access: opts.auth.access,
    logger: opts.logger,
  });
  if (!opts.auth.enabled) {
    opts.logger.warn(
      'authentication is OFF (DOCKSIDE_AUTH=off): every request acts as a local admin; never expose this server',
    );
  }
  registerSessionRoutes(app, {
    verifier: opts.auth.verifier,
    ...(opts.auth.demoUsers ? { demoUsers: opts.auth.demoUsers } : {}),
  });
  app.get('/healthz', async () => ({ ok: true }));
  app.get('/metrics', async (_req, reply) =>
    reply.type('text/plain; version=0.0.4').send(await opts.metricsText()),
  );
  registerUiRoutes(app);
  registerDocsRoutes(app);
  registerStreamRoutes(app, {
    live: opts.live,
    maxBufferedBytes: http.sseMaxBufferBytes,
    ...(opts.metrics ? { metrics: opts.metrics } : {}),
  });
  for (const register of opts.routes) register(app);
  app.addHook('onReady', async () => {
    const missing = unclassifiedRoutes(app);
    if (missing.length) {
      opts.logger.warn(
        { routes: missing },
        'routes without an access-table entry answer 403 ROUTE_NOT_CLASSIFIED',
      );
    }
  });
}
