import {
  AckPolicy,
  DeliverPolicy,
  type JetStreamManager,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
} from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { connect } from '@nats-io/transport-node';
import type { Config } from './config.ts';
import { RetryableError } from './errors.ts';
import type { Logger } from './logger.ts';

/** Every JetStream name the system uses, derived from the configured prefix so test runs never collide. */
export interface StreamNames {
  readonly ingestStream: string;
  readonly eventsStream: string;
  readonly exceptionsStream: string;
  readonly deadLetterStream: string;
  /** `<p>.in.<source>.<type>`: raw producer input, validated by ingest. */
  readonly ingestSubject: (source: string, type: string) => string;
  /** `<p>.events.<partition>.<type>`: canonical events, partitioned by shipment/load/warehouse key. */
  readonly eventSubject: (partition: number, type: string) => string;
  readonly eventPartitionFilter: (partition: number) => string;
  /** `<p>.exceptions.<partition>.<type>`: exception states, partitioned by exception id (see exceptionPartition). */
  readonly exceptionSubject: (partition: number, type: string) => string;
  readonly exceptionPartitionFilter: (partition: number) => string;
  readonly deadLetterSubject: (source: string) => string;
  readonly consumer: (role: string) => string;
  readonly kvBucket: (role: string) => string;
  readonly all: readonly string[];
  /** The upper-cased prefix every stream name of this run starts with. */
  readonly streamPrefix: string;
}

const token = (s: string) => s.replace(/[^A-Za-z0-9_-]/g, '_') || '_';

export function streamNames(prefix: string): StreamNames {
  const P = prefix.toUpperCase().replace(/-/g, '_');
  const names = {
    ingestStream: `${P}_INGEST`,
    eventsStream: `${P}_EVENTS`,
    exceptionsStream: `${P}_EXCEPTIONS`,
    deadLetterStream: `${P}_DLQ`,
  };
  return {
    ...names,
    ingestSubject: (source, type) => `${prefix}.in.${token(source)}.${type.split('.').map(token).join('.')}`,
    eventSubject: (partition, type) => `${prefix}.events.${partition}.${type}`,
    eventPartitionFilter: (partition) => `${prefix}.events.${partition}.>`,
    exceptionSubject: (partition, type) => `${prefix}.exceptions.${partition}.${token(type)}`,
    exceptionPartitionFilter: (partition) => `${prefix}.exceptions.${partition}.>`,
    deadLetterSubject: (source) => `${prefix}.dlq.${token(source)}`,
    consumer: (role) => `${P}_${token(role)}`,
    kvBucket: (role) => `${P}_${token(role)}`,
    all: Object.values(names),
    streamPrefix: P,
  };
}

export async function connectNats(
  config: Pick<Config, 'natsServers' | 'natsUrl'>,
  logger: Logger,
): Promise<NatsConnection> {
  try {
    const nc = await connect({
      servers: [...config.natsServers],
      name: 'dockside',
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
      timeout: 3_000,
      // Capturing a stack per request (JetStream publish) costs more than the publish itself on the hot path.
      noAsyncTraces: true,
    });
    void (async () => {
      for await (const s of nc.status()) {
        if (s.type === 'disconnect' || s.type === 'reconnect')
          logger.warn({ nats: s.type }, 'nats connection status');
      }
    })();
    return nc;
  } catch (cause) {
    throw new RetryableError('NATS_UNREACHABLE', `cannot connect to NATS at ${config.natsUrl}`, { cause });
  }
}

const ns = (ms: number) => ms * 1_000_000;

/** Declares the streams idempotently: creates what is missing, updates what exists. */
export async function ensureStreams(
  nc: NatsConnection,
  names: StreamNames,
  config: Pick<Config, 'prefix' | 'dedupeWindowMs'>,
): Promise<JetStreamManager> {
  const jsm = await jetstreamManager(nc);
  const p = config.prefix;
  const specs = [
    { name: names.ingestStream, subjects: [`${p}.in.>`], duplicate_window: ns(config.dedupeWindowMs) },
    { name: names.eventsStream, subjects: [`${p}.events.>`], duplicate_window: ns(config.dedupeWindowMs) },
    {
      name: names.exceptionsStream,
      subjects: [`${p}.exceptions.>`],
      duplicate_window: ns(config.dedupeWindowMs),
    },
    { name: names.deadLetterStream, subjects: [`${p}.dlq.>`], duplicate_window: ns(config.dedupeWindowMs) },
  ];
  for (const spec of specs) {
    const full = { ...spec, storage: StorageType.File, retention: RetentionPolicy.Limits, num_replicas: 1 };
    try {
      await jsm.streams.info(spec.name);
      await jsm.streams.update(spec.name, full);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      await jsm.streams.add(full);
    }
  }
  return jsm;
}

/** A durable pull consumer with explicit acks, created or updated idempotently. */
export async function ensureDurable(
  jsm: JetStreamManager,
  stream: string,
  durable: string,
  opts: { filter?: string; ackWaitMs?: number; maxAckPending?: number } = {},
): Promise<void> {
  const cfg = {
    durable_name: durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: ns(opts.ackWaitMs ?? 30_000),
    max_ack_pending: opts.maxAckPending ?? 20_000,
    ...(opts.filter ? { filter_subject: opts.filter } : {}),
  };
  try {
    await jsm.consumers.info(stream, durable);
    await jsm.consumers.update(stream, durable, cfg);
  } catch (err) {
    if (!isNotFound(err)) throw err;
    await jsm.consumers.add(stream, cfg);
  }
}

export function isNotFound(err: unknown): boolean {
  const msg = err instanceof Error ? err.message : String(err);
  return /not found/i.test(msg);
}

/**
 * Deletes every stream of a prefix, and so every consumer: the core streams, and whatever else the
 * modules made under it (`<P>_…` streams, `KV_<P>_…` buckets, `OBJ_<P>_…` object stores). Used by tests
 * and benchmarks to leave the shared server as they found it.
 */
export async function deleteStreams(nc: NatsConnection, names: StreamNames): Promise<void> {
  const jsm = await jetstreamManager(nc);
  const owned = [`${names.streamPrefix}_`, `KV_${names.streamPrefix}_`, `OBJ_${names.streamPrefix}_`];
  const doomed = new Set(names.all);
  for await (const info of jsm.streams.list()) {
    if (owned.some((p) => info.config.name.startsWith(p))) doomed.add(info.config.name);
  }
  for (const name of doomed) {
    try {
      await jsm.streams.delete(name);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
