import { z } from 'zod';
import { intIn } from './config-fields.ts';
import { ConfigError } from './errors.ts';

/**
 * NATS credentials and TLS, JetStream replicas and placement, and every stream's limits. Kept beside
 * config.ts (which spreads `natsEnvShape` into its schema) so the NATS story reads in one place.
 */
const file = z.string().min(1);
const DAY_MS = 86_400_000;
const MiB = 1024 * 1024;
/** -1 = no byte limit (JetStream's own convention); otherwise at least 1 MiB. */
const maxBytes = (def: number) =>
  z.coerce
    .number()
    .int()
    .refine(
      (n) => n === -1 || (n >= MiB && n <= 2 ** 50),
      'a byte count from 1048576 to 2^50, or -1 for none',
    )
    .default(def);
const maxAge = (def: number) => intIn(60_000, 3650 * DAY_MS).default(def);

/** The streams whose limits come from config (the audit stream's age follows the policy's logging.retain_days). */
export const limitedStreams = ['ingest', 'events', 'exceptions', 'dlq', 'detector', 'outbox'] as const;
export type LimitedStream = (typeof limitedStreams)[number];

/**
 * Defaults: raw ingest is republished into EVENTS at once, so a day covers any backlog; EVENTS keeps a
 * replay window; the byte caps are modest because JetStream reserves each stream's max_bytes against the
 * server's storage when the stream is created (operators size them up: docs/operations.md).
 */
const streamDefaults: Record<LimitedStream, { maxAgeMs: number; maxBytes: number }> = {
  ingest: { maxAgeMs: DAY_MS, maxBytes: 256 * MiB },
  events: { maxAgeMs: 30 * DAY_MS, maxBytes: 1024 * MiB },
  exceptions: { maxAgeMs: 30 * DAY_MS, maxBytes: 256 * MiB },
  dlq: { maxAgeMs: 30 * DAY_MS, maxBytes: 64 * MiB },
  detector: { maxAgeMs: 7 * DAY_MS, maxBytes: 256 * MiB },
  outbox: { maxAgeMs: 30 * DAY_MS, maxBytes: 64 * MiB },
};

export const natsEnvShape = {
  NATS_USER: z.string().min(1).optional(),
  NATS_PASSWORD: z.string().min(1).optional(),
  NATS_TOKEN: z.string().min(1).optional(),
  /** A `.creds` file (user JWT + NKEY seed), as `nsc` or NGS issue them. */
  NATS_CREDS_FILE: file.optional(),
  /** A file holding an NKEY user seed (`SU…`). */
  NATS_NKEY_SEED_FILE: file.optional(),
  NATS_TLS_CA_FILE: file.optional(),
  NATS_TLS_CERT_FILE: file.optional(),
  NATS_TLS_KEY_FILE: file.optional(),
  /** Replicas of every stream, KV bucket and object store: 1 on a single server, 3 on a cluster. */
  DOCKSIDE_REPLICAS: intIn(1, 5).default(1),
  /** Placement tags (comma list) every stream must be placed by, e.g. `region:eu,ssd`. */
  DOCKSIDE_PLACEMENT_TAGS: z
    .string()
    .regex(/^\s*[^\s,]+(\s*,\s*[^\s,]+)*\s*$/, 'tags separated by commas, e.g. region:eu,ssd')
    .optional(),
  DOCKSIDE_INGEST_MAX_AGE_MS: maxAge(streamDefaults.ingest.maxAgeMs),
  DOCKSIDE_INGEST_MAX_BYTES: maxBytes(streamDefaults.ingest.maxBytes),
  DOCKSIDE_EVENTS_MAX_AGE_MS: maxAge(streamDefaults.events.maxAgeMs),
  DOCKSIDE_EVENTS_MAX_BYTES: maxBytes(streamDefaults.events.maxBytes),
  DOCKSIDE_EXCEPTIONS_MAX_AGE_MS: maxAge(streamDefaults.exceptions.maxAgeMs),
  DOCKSIDE_EXCEPTIONS_MAX_BYTES: maxBytes(streamDefaults.exceptions.maxBytes),
  DOCKSIDE_DLQ_MAX_AGE_MS: maxAge(streamDefaults.dlq.maxAgeMs),
  DOCKSIDE_DLQ_MAX_BYTES: maxBytes(streamDefaults.dlq.maxBytes),
  DOCKSIDE_DETECTOR_MAX_AGE_MS: maxAge(streamDefaults.detector.maxAgeMs),
  DOCKSIDE_DETECTOR_MAX_BYTES: maxBytes(streamDefaults.detector.maxBytes),
  DOCKSIDE_OUTBOX_MAX_AGE_MS: maxAge(streamDefaults.outbox.maxAgeMs),
  DOCKSIDE_OUTBOX_MAX_BYTES: maxBytes(streamDefaults.outbox.maxBytes),
  /** The audit stream's age is the policy's logging.retain_days; only its size is configured here. */
  DOCKSIDE_AUDIT_MAX_BYTES: maxBytes(256 * MiB),
};

export interface StreamLimits {
  readonly maxAgeMs: number;
  readonly maxBytes: number;
}

/** How Dockside authenticates to NATS (at most one kind) and which TLS files it uses. */
export interface NatsAuth {
  readonly user?: string;
  readonly password?: string;
  readonly token?: string;
  readonly credsFile?: string;
  readonly nkeySeedFile?: string;
  readonly tls?: { readonly caFile?: string; readonly certFile?: string; readonly keyFile?: string };
}

export interface JetStreamSettings {
  readonly replicas: number;
  readonly placementTags: readonly string[];
  readonly limits: Readonly<Record<LimitedStream, StreamLimits>>;
  readonly auditMaxBytes: number;
}

type NatsEnv = z.output<z.ZodObject<typeof natsEnvShape>>;

export function natsAuthConfig(e: NatsEnv): NatsAuth {
  const kinds = (
    [
      ['NATS_USER', e.NATS_USER],
      ['NATS_TOKEN', e.NATS_TOKEN],
      ['NATS_CREDS_FILE', e.NATS_CREDS_FILE],
      ['NATS_NKEY_SEED_FILE', e.NATS_NKEY_SEED_FILE],
    ] as const
  ).filter(([, v]) => v !== undefined);
  if (kinds.length > 1) {
    const [key] = kinds[1] ?? [];
    throw new ConfigError(
      key ?? 'NATS_USER',
      `${kinds.map(([k]) => k).join(' and ')} are both set: expected one way to authenticate to NATS`,
    );
  }
  if (e.NATS_PASSWORD !== undefined && e.NATS_USER === undefined)
    throw new ConfigError('NATS_USER', 'NATS_PASSWORD is set without NATS_USER: expected both');
  if ((e.NATS_TLS_CERT_FILE === undefined) !== (e.NATS_TLS_KEY_FILE === undefined)) {
    const missing = e.NATS_TLS_CERT_FILE === undefined ? 'NATS_TLS_CERT_FILE' : 'NATS_TLS_KEY_FILE';
    throw new ConfigError(
      missing,
      `${missing} is missing: a client certificate needs both its cert and key file`,
    );
  }
  const tls = {
    ...(e.NATS_TLS_CA_FILE ? { caFile: e.NATS_TLS_CA_FILE } : {}),
    ...(e.NATS_TLS_CERT_FILE ? { certFile: e.NATS_TLS_CERT_FILE } : {}),
    ...(e.NATS_TLS_KEY_FILE ? { keyFile: e.NATS_TLS_KEY_FILE } : {}),
  };
  return {
    ...(e.NATS_USER ? { user: e.NATS_USER, ...(e.NATS_PASSWORD ? { password: e.NATS_PASSWORD } : {}) } : {}),
    ...(e.NATS_TOKEN ? { token: e.NATS_TOKEN } : {}),
    ...(e.NATS_CREDS_FILE ? { credsFile: e.NATS_CREDS_FILE } : {}),
    ...(e.NATS_NKEY_SEED_FILE ? { nkeySeedFile: e.NATS_NKEY_SEED_FILE } : {}),
    ...(Object.keys(tls).length > 0 ? { tls } : {}),
  };
}

export function jetStreamConfig(e: NatsEnv): JetStreamSettings {
  const limit = (maxAgeMs: number, maxBytes: number): StreamLimits => ({ maxAgeMs, maxBytes });
  return {
    replicas: e.DOCKSIDE_REPLICAS,
    placementTags: (e.DOCKSIDE_PLACEMENT_TAGS ?? '')
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean),
    limits: {
      ingest: limit(e.DOCKSIDE_INGEST_MAX_AGE_MS, e.DOCKSIDE_INGEST_MAX_BYTES),
      events: limit(e.DOCKSIDE_EVENTS_MAX_AGE_MS, e.DOCKSIDE_EVENTS_MAX_BYTES),
      exceptions: limit(e.DOCKSIDE_EXCEPTIONS_MAX_AGE_MS, e.DOCKSIDE_EXCEPTIONS_MAX_BYTES),
      dlq: limit(e.DOCKSIDE_DLQ_MAX_AGE_MS, e.DOCKSIDE_DLQ_MAX_BYTES),
      detector: limit(e.DOCKSIDE_DETECTOR_MAX_AGE_MS, e.DOCKSIDE_DETECTOR_MAX_BYTES),
      outbox: limit(e.DOCKSIDE_OUTBOX_MAX_AGE_MS, e.DOCKSIDE_OUTBOX_MAX_BYTES),
    },
    auditMaxBytes: e.DOCKSIDE_AUDIT_MAX_BYTES,
  };
}
