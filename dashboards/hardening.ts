import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import {
  assertJsonDepth,
  DEFAULT_MAX_JSON_DEPTH,
  echoValue,
  type HttpConfig,
  httpConfig,
  httpEnvShape,
  type Metrics,
  RejectError,
} from '../core/mod.ts';
import { sendProblem } from './errors.ts';

/**
 * What every request passes before routing and access: security headers (helmet), the Host allow-list
 * (DNS rebinding), a rate limit per client address, and a JSON body parser with a nesting limit.
 */

/**
 * The web app and its API are served from this origin only: scripts from /ui, no framing (clickjacking),
 * no plugins. Inline styles stay allowed: Preact and uPlot set element styles.
 */
const APP_CSP = {
  defaultSrc: ["'self'"],
  baseUri: ["'self'"],
  connectSrc: ["'self'"],
  fontSrc: ["'self'", 'data:'],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
  imgSrc: ["'self'", 'data:'],
  objectSrc: ["'none'"],
  scriptSrc: ["'self'"],
  scriptSrcAttr: ["'none'"],
  styleSrc: ["'self'", "'unsafe-inline'"],
};

export function defaultHttpConfig(): HttpConfig {
  return httpConfig(z.object(httpEnvShape).parse({}), { host: '127.0.0.1' });
}

/** The host part of a Host header, lower-case, without port (`[::1]:8080` → `[::1]`). */
export function hostnameOf(host: string | undefined): string {
  const h = (host ?? '').trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  return h.split(':')[0] ?? '';
}

/** "60 s", "15 min", "2 h": how a window is stated in a 429 answer. */
export function windowText(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${Math.round(ms / 100) / 10} s`;
}

/** The 429 of a rate limit: the window as configured, and when this client may try again. */
export function rateLimited(max: number, windowMs: number, retryMs: number): RejectError {
  const retry = Math.max(1, Math.ceil(retryMs / 1000));
  return new RejectError(
    'RATE_LIMITED',
    `rate limit: at most ${max} requests per ${windowText(windowMs)} from one client; retry in ${retry} s`,
    [],
    { httpStatus: 429 },
  );
}

export function registerHardening(
  app: FastifyInstance,
  http: HttpConfig,
  metrics?: Pick<Metrics, 'httpShed'>,
): void {
  app.register(helmet, {
    contentSecurityPolicy: { useDefaults: false, directives: APP_CSP },
    xFrameOptions: { action: 'deny' },
    // TLS ends at a proxy when there is one: HSTS (which pins every subdomain) is that proxy's decision.
    hsts: false,
  });

  const allowed = http.allowedHosts;
  if (allowed) {
    const set = new Set(allowed);
    app.addHook('onRequest', async (req, reply) => {
      // req.host is the Host header, or X-Forwarded-Host from a trusted proxy.
      const host = hostnameOf(req.host);
      if (set.has(host)) return;
      return sendProblem(req, reply, {
        status: 421,
        code: 'HOST_NOT_ALLOWED',
        message: `Host ${JSON.stringify(echoValue(req.host ?? ''))}: not served here; expected one of ${allowed.join(', ')} (DOCKSIDE_ALLOWED_HOSTS)`,
      });
    });
  }

  app.register(rateLimit, {
    // One limiter hooked on every request below (unknown routes too), not per route.
    global: false,
    max: http.rateLimit.max,
    timeWindow: http.rateLimit.windowMs,
    errorResponseBuilder: (_req, ctx) => {
      metrics?.httpShed.inc({ reason: 'rate_limit' });
      return rateLimited(ctx.max, http.rateLimit.windowMs, ctx.ttl);
    },
  });
  app.after(() => {
    app.addHook('onRequest', app.rateLimit());
  });

  // Fastify's JSON parser (prototype-poisoning checks included) behind a nesting limit: a 100,000-deep
  // array would otherwise overflow the stack of whatever walks the value (zod, JSON.stringify).
  const json = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const text = String(body);
    try {
      assertJsonDepth(text, DEFAULT_MAX_JSON_DEPTH, 'body');
    } catch (err) {
      return done(err as Error, undefined);
    }
    json(req, text, done);
  });
}
