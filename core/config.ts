import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { type CapacityConfig, capacityConfig, capacityEnvShape } from './config-capacity.ts';
import { type ClickHouseLayout, clickhouseEnvShape, clickhouseLayout } from './config-clickhouse.ts';
import { type FeedsConfig, feedsConfig, feedsEnvShape } from './config-feeds.ts';
import { intIn, urlWithProtocols } from './config-fields.ts';
import { type HttpConfig, httpConfig, httpEnvShape } from './config-http.ts';
import {
  type JetStreamSettings,
  jetStreamConfig,
  type NatsAuth,
  natsAuthConfig,
  natsEnvShape,
} from './config-nats.ts';
import { type WritebackConfig, writebackConfig, writebackEnvShape } from './config-writeback.ts';
import { ConfigError, describeValue } from './errors.ts';
import { fieldIssues } from './zod-issues.ts';

/**
 * All configuration, from environment variables and an optional config file (DOCKSIDE_CONFIG, YAML or
 * JSON, same keys). Parsed once at start, frozen, passed down; nothing else reads process.env.
 */
const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const envSchema = z.object({
  NATS_URL: z
    .string()
    .default('nats://127.0.0.1:4222')
    .pipe(
      z
        .string()
        .regex(
          /^(nats|tls|ws|wss):\/\/[^\s,]+(,(nats|tls|ws|wss):\/\/[^\s,]+)*$/,
          'nats://host:port[,nats://…]',
        ),
    ),
  CLICKHOUSE_URL: urlWithProtocols(['http:', 'https:']).optional(),
  CLICKHOUSE_DATABASE: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an identifier of letters, digits and _')
    .default('dockside'),
  CLICKHOUSE_USER: z.string().optional(),
  CLICKHOUSE_PASSWORD: z.string().optional(),
  DOCKSIDE_DATA_DIR: z.string().min(1).default('./data'),
  PORT: intIn(0, 65535).default(8080),
  HOST: z.string().min(1).default('127.0.0.1'),
  POLICY_FILE: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(logLevels).default('info'),
  /** Prefix of every stream, consumer, KV bucket and subject, so runs can share one NATS server. */
  DOCKSIDE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,32}$/, '1 to 32 letters, digits, _ or -')
    .default('dockside'),
  DOCKSIDE_PARTITIONS: intIn(1, 256).default(8),
  DOCKSIDE_ALLOWED_LATENESS_MS: intIn(0, 7 * 24 * 3_600_000).default(30_000),
  DOCKSIDE_IDLE_ADVANCE_MS: intIn(100, 24 * 3_600_000).default(5_000),
  /** A graceful stop longer than this ends the process anyway (unacknowledged messages are redelivered). */
  DOCKSIDE_SHUTDOWN_TIMEOUT_MS: intIn(1_000, 600_000).default(30_000),
  /** JetStream keeps every id of the window in memory; past it, ClickHouse's id-keyed tables dedupe. */
  DOCKSIDE_DEDUPE_WINDOW_MS: intIn(1_000, 7 * 24 * 3_600_000).default(120_000),
  DOCKSIDE_MAX_BODY_BYTES: intIn(1_024, 1_073_741_824).default(16 * 1024 * 1024),
  DOCKSIDE_FLUSH_INTERVAL_MS: intIn(10, 60_000).default(250),
  DOCKSIDE_FLUSH_ROWS: intIn(1, 1_000_000).default(5_000),
  /** Detector: how often each partition's state is snapshotted (bounds the replay after a crash). */
  DOCKSIDE_SNAPSHOT_INTERVAL_MS: intIn(100, 3_600_000).default(10_000),
  /** Detector: partition lease time-to-live in NATS KV; a dead worker's partitions move after this. */
  DOCKSIDE_LEASE_TTL_MS: intIn(1_000, 600_000).default(10_000),
  /** Detector: event time after a subject's last event when its state is dropped. */
  DOCKSIDE_STATE_RETENTION_MS: intIn(3_600_000, 3650 * 86_400_000).default(365 * 86_400_000),
  /** Detector: processing-time tick that fires deadlines when no event arrives (idle advance). */
  DOCKSIDE_TIMER_TICK_MS: intIn(5, 10_000).default(100),
  /** Detector: a task whose input has messages pending but that received none for this long is restarted. */
  DOCKSIDE_DETECTOR_STALL_MS: intIn(1_000, 3_600_000).default(30_000),
  /** Forecasting: how often `up` refits and stores lane forecasts; 0 turns the scheduled job off. */
  DOCKSIDE_FORECAST_INTERVAL_MS: intIn(0, 7 * 86_400_000).default(6 * 3_600_000),
  /** Consumers: deliveries of a message whose handler fails unexpectedly before it is dead-lettered. */
  DOCKSIDE_MAX_DELIVERIES: intIn(1, 1_000).default(8),
  /** Consumers: first retry delay; each redelivery doubles it (capped at a minute). */
  DOCKSIDE_RETRY_BACKOFF_MS: intIn(1, 60_000).default(1_000),
  ...clickhouseEnvShape,
  ...writebackEnvShape,
  ...httpEnvShape,
  ...natsEnvShape,
  ...feedsEnvShape,
  ...capacityEnvShape,
});

export type RawEnv = z.input<typeof envSchema>;

export interface Config {
  readonly natsUrl: string;
  readonly natsServers: readonly string[];
  /** Credentials and TLS files for NATS (secrets: never log them). */
  readonly natsAuth: NatsAuth;
  /** Replicas, placement and limits of every stream, KV bucket and object store (core/stream-specs.ts). */
  readonly jetstream: JetStreamSettings;
  /** Storage, plus the table layout and retention migrations render (config-clickhouse.ts). */
  readonly clickhouse: ClickHouseLayout &
    (
      | { readonly mode: 'embedded'; readonly path: string; readonly database: string }
      | {
          readonly mode: 'server';
          readonly url: string;
          readonly database: string;
          readonly username?: string;
          readonly password?: string;
        }
    );
  readonly dataDir: string;
  readonly port: number;
  readonly host: string;
  readonly policyFile?: string;
  readonly logLevel: (typeof logLevels)[number];
  readonly prefix: string;
  readonly partitions: number;
  readonly allowedLatenessMs: number;
  readonly idleAdvanceMs: number;
  readonly shutdownTimeoutMs: number;
  readonly dedupeWindowMs: number;
  readonly maxBodyBytes: number;
  readonly flushIntervalMs: number;
  readonly flushRows: number;
  readonly snapshotIntervalMs: number;
  readonly leaseTtlMs: number;
  readonly stateRetentionMs: number;
  readonly timerTickMs: number;
  readonly detectorStallMs: number;
  readonly forecastIntervalMs: number;
  /** How consumers retry a failing message (see core/consume.ts). */
  readonly delivery: { readonly maxDeliveries: number; readonly backoffMs: number };
  /** Identity, directory, external targets and write-back behaviour (see config-writeback.ts). */
  readonly writeback: WritebackConfig;
  /** Host allow-list, proxy trust, rate limit and load shedding of the HTTP server (config-http.ts). */
  readonly http: HttpConfig;
  /** What each source sends (PODs…), declared in DOCKSIDE_FEEDS_FILE; the rest is learned (config-feeds.ts). */
  readonly feeds: FeedsConfig;
  /** Units a truck holds per lane and carrier, declared in DOCKSIDE_CAPACITY_FILE (config-capacity.ts). */
  readonly capacity: CapacityConfig;
}

/** Parses env (plus the optional DOCKSIDE_CONFIG file; env wins) into a frozen Config or throws ConfigError. */
export function loadConfig(env: Record<string, string | undefined>, overrides: Partial<RawEnv> = {}): Config {
  const fromFile = env.DOCKSIDE_CONFIG ? readConfigFile(env.DOCKSIDE_CONFIG) : {};
  const merged: Record<string, unknown> = { ...fromFile };
  for (const key of Object.keys(envSchema.shape)) {
    const value = env[key];
    if (value !== undefined && value !== '') merged[key] = value;
  }
  Object.assign(merged, overrides);
  const parsed = envSchema.safeParse(merged);
  if (!parsed.success) {
    const issue = fieldIssues(parsed.error, merged)[0];
    const key = issue?.field || '(config)';
    throw new ConfigError(
      key,
      `${key}=${describeValue(merged[key])} is invalid: expected ${issue?.expected}`,
      {
        cause: parsed.error,
      },
    );
  }
  const e = parsed.data;
  const dataDir = path.resolve(e.DOCKSIDE_DATA_DIR);
  const clickhouse = e.CLICKHOUSE_URL
    ? {
        mode: 'server' as const,
        url: e.CLICKHOUSE_URL,
        database: e.CLICKHOUSE_DATABASE,
        ...(e.CLICKHOUSE_USER ? { username: e.CLICKHOUSE_USER } : {}),
        ...(e.CLICKHOUSE_PASSWORD ? { password: e.CLICKHOUSE_PASSWORD } : {}),
      }
    : { mode: 'embedded' as const, path: path.join(dataDir, 'chdb'), database: e.CLICKHOUSE_DATABASE };
  return deepFreeze({
    natsUrl: e.NATS_URL,
    natsServers: e.NATS_URL.split(','),
    natsAuth: natsAuthConfig(e),
    jetstream: jetStreamConfig(e),
    clickhouse: { ...clickhouseLayout(e), ...clickhouse },
    dataDir,
    port: e.PORT,
    host: e.HOST,
    ...(e.POLICY_FILE ? { policyFile: path.resolve(e.POLICY_FILE) } : {}),
    logLevel: e.LOG_LEVEL,
    prefix: e.DOCKSIDE_PREFIX,
    partitions: e.DOCKSIDE_PARTITIONS,
    allowedLatenessMs: e.DOCKSIDE_ALLOWED_LATENESS_MS,
    idleAdvanceMs: e.DOCKSIDE_IDLE_ADVANCE_MS,
    shutdownTimeoutMs: e.DOCKSIDE_SHUTDOWN_TIMEOUT_MS,
    dedupeWindowMs: e.DOCKSIDE_DEDUPE_WINDOW_MS,
    maxBodyBytes: e.DOCKSIDE_MAX_BODY_BYTES,
    flushIntervalMs: e.DOCKSIDE_FLUSH_INTERVAL_MS,
    flushRows: e.DOCKSIDE_FLUSH_ROWS,
    snapshotIntervalMs: e.DOCKSIDE_SNAPSHOT_INTERVAL_MS,
    leaseTtlMs: e.DOCKSIDE_LEASE_TTL_MS,
    stateRetentionMs: e.DOCKSIDE_STATE_RETENTION_MS,
    timerTickMs: e.DOCKSIDE_TIMER_TICK_MS,
    detectorStallMs: e.DOCKSIDE_DETECTOR_STALL_MS,
    forecastIntervalMs: e.DOCKSIDE_FORECAST_INTERVAL_MS,
    delivery: { maxDeliveries: e.DOCKSIDE_MAX_DELIVERIES, backoffMs: e.DOCKSIDE_RETRY_BACKOFF_MS },
    writeback: writebackConfig(e, { host: e.HOST, port: e.PORT, dataDir }),
    http: httpConfig(e, { host: e.HOST, publicUrl: e.DOCKSIDE_PUBLIC_URL }),
    feeds: feedsConfig(e),
    capacity: capacityConfig(e),
  });
}

function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new ConfigError('DOCKSIDE_CONFIG', `DOCKSIDE_CONFIG=${file}: cannot read the file`, { cause });
  }
  const data: unknown = parseYaml(text);
  const parsed = z.record(z.string(), z.union([z.string(), z.number()])).safeParse(data ?? {});
  if (!parsed.success) {
    throw new ConfigError('DOCKSIDE_CONFIG', `DOCKSIDE_CONFIG=${file}: expected a map of KEY: value`, {
      cause: parsed.error,
    });
  }
  return Object.fromEntries(Object.entries(parsed.data).map(([k, v]) => [k, String(v)]));
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
