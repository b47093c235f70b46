import { z } from 'zod';
import { intIn } from './config-fields.ts';

/** The HTTP server's exposure limits: Host allow-list, proxy trust, rate limit, load shedding. */
const hostName = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)$/;
const split = (s: string) =>
  s
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean);
/** Checked as one string, so an error names the variable and its whole value; `*` = any. */
const hostList = (what: string) =>
  z
    .string()
    .refine((s) => s.trim() === '*' || (split(s).length > 0 && split(s).every((h) => hostName.test(h))), what)
    .transform((s) => (s.trim() === '*' ? ('*' as const) : split(s)));

export const httpEnvShape = {
  /** Host names (no port) the server answers; `*` turns the check off. Default: loopback + the public URL's host. */
  DOCKSIDE_ALLOWED_HOSTS: hostList(
    'comma-separated host names or [IPv6] literals without ports, or *',
  ).optional(),
  /** Fastify's trustProxy: false, true, a hop count, or comma-separated proxy addresses/CIDRs. */
  DOCKSIDE_TRUST_PROXY: z
    .string()
    .regex(
      /^(true|false|\d{1,2}|[0-9A-Fa-f:./]+(,\s*[0-9A-Fa-f:./]+)*)$/,
      'true, false, a hop count, or comma-separated proxy addresses / CIDRs',
    )
    .default('false'),
  /** Requests per client address per window, on every route. */
  DOCKSIDE_RATE_LIMIT_MAX: intIn(1, 10_000_000).default(6_000),
  DOCKSIDE_RATE_LIMIT_WINDOW_MS: intIn(1_000, 86_400_000).default(60_000),
  /** Events awaiting JetStream acks across all POST /api/events requests; a request arriving when full gets 429. */
  DOCKSIDE_INGEST_WINDOW: intIn(1, 1_000_000).default(4_096),
  /** A live-stream client with this many bytes unsent is dropped (it resumes from its Last-Event-ID). */
  DOCKSIDE_SSE_MAX_BUFFER_BYTES: intIn(1_024, 1_073_741_824).default(1024 * 1024),
};

type HttpEnv = z.output<z.ZodObject<typeof httpEnvShape>>;

export interface HttpConfig {
  /** Lower-case host names without port; undefined = any Host. */
  readonly allowedHosts?: readonly string[];
  readonly trustProxy: boolean | number | string;
  readonly rateLimit: { readonly max: number; readonly windowMs: number };
  readonly ingestWindow: number;
  readonly sseMaxBufferBytes: number;
}

const LOOPBACK = ['localhost', '127.0.0.1', '[::1]'];

export function httpConfig(e: HttpEnv, ctx: { host: string; publicUrl?: string | undefined }): HttpConfig {
  const trust = e.DOCKSIDE_TRUST_PROXY;
  const trustProxy =
    trust === 'true' ? true : trust === 'false' ? false : /^\d+$/.test(trust) ? Number(trust) : trust;
  const bind = ctx.host.toLowerCase();
  const defaults = [
    ...LOOPBACK,
    // A wildcard bind names no host of its own; a specific one is reachable by its address.
    ...(['0.0.0.0', '::', '[::]'].includes(bind) ? [] : [bind.includes(':') ? `[${bind}]` : bind]),
    ...(ctx.publicUrl ? [new URL(ctx.publicUrl).hostname.toLowerCase()] : []),
  ];
  const allowed = e.DOCKSIDE_ALLOWED_HOSTS;
  return {
    ...(allowed === '*' ? {} : { allowedHosts: [...new Set(allowed ?? defaults)] }),
    trustProxy,
    rateLimit: { max: e.DOCKSIDE_RATE_LIMIT_MAX, windowMs: e.DOCKSIDE_RATE_LIMIT_WINDOW_MS },
    ingestWindow: e.DOCKSIDE_INGEST_WINDOW,
    sseMaxBufferBytes: e.DOCKSIDE_SSE_MAX_BUFFER_BYTES,
  };
}
