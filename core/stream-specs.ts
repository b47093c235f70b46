import {
  DiscardPolicy,
  type Placement,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
} from '@nats-io/jetstream';
import type { Config } from './config.ts';
import type { LimitedStream } from './config-nats.ts';

/**
 * The one place every stream, KV bucket and object store gets its replicas, placement and limits from
 * (pure: configs only; core/nats.ts applies them). Changing DOCKSIDE_REPLICAS or a limit and restarting
 * updates existing streams in place.
 */
export type SpecConfig = Pick<Config, 'jetstream' | 'dedupeWindowMs'>;

const ns = (ms: number) => ms * 1_000_000;

function placement(config: SpecConfig): { placement?: Placement } {
  const tags = config.jetstream.placementTags;
  return tags.length > 0 ? { placement: { cluster: '', tags: [...tags] } } : {};
}

/** A limits-retention file stream: replicas, placement, max age/bytes, and a duplicate window within the age. */
export function streamSpec(
  config: SpecConfig,
  name: string,
  subjects: readonly string[],
  limits: { maxAgeMs: number; maxBytes: number },
): Partial<StreamConfig> & { name: string } {
  return {
    name,
    subjects: [...subjects],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    // Old messages go first: everything they carried is already in ClickHouse.
    discard: DiscardPolicy.Old,
    max_age: ns(limits.maxAgeMs),
    max_bytes: limits.maxBytes,
    // JetStream refuses a duplicate window longer than the stream's max age.
    duplicate_window: ns(Math.min(config.dedupeWindowMs, limits.maxAgeMs)),
    num_replicas: config.jetstream.replicas,
    ...placement(config),
  };
}

/** The spec of one of the configured streams (ingest, events, exceptions, dlq, detector, outbox). */
export function limitedStreamSpec(
  config: SpecConfig,
  kind: LimitedStream,
  name: string,
  subjects: readonly string[],
): Partial<StreamConfig> & { name: string } {
  return streamSpec(config, name, subjects, config.jetstream.limits[kind]);
}

/** The audit stream: kept the policy's `logging.retain_days`, capped by DOCKSIDE_AUDIT_MAX_BYTES. */
export function auditStreamSpec(
  config: SpecConfig,
  name: string,
  subjects: readonly string[],
  retainDays: number,
): Partial<StreamConfig> & { name: string } {
  return streamSpec(config, name, subjects, {
    maxAgeMs: retainDays * 86_400_000,
    maxBytes: config.jetstream.auditMaxBytes,
  });
}

/** KV bucket options: replicas, placement, file storage; `ttlMs` for buckets whose entries are transient. */
export function kvSpec(config: SpecConfig, opts: { history?: number; ttlMs?: number } = {}) {
  return {
    history: opts.history ?? 1,
    storage: StorageType.File,
    replicas: config.jetstream.replicas,
    ...(opts.ttlMs ? { ttl: opts.ttlMs } : {}),
    ...placement(config),
  };
}

/** Object store options: replicas, placement, file storage. */
export function objectStoreSpec(config: SpecConfig) {
  return { storage: StorageType.File, replicas: config.jetstream.replicas, ...placement(config) };
}
