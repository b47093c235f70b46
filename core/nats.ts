import {
  AckPolicy,
  DeliverPolicy,
  type JetStreamClient,
  type JetStreamManager,
  jetstreamManager,
  type Placement,
  type StreamConfig,
} from '@nats-io/jetstream';
import { type KV, Kvm } from '@nats-io/kv';
import { type ObjectStore, Objm } from '@nats-io/obj';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Config } from './config.ts';
import { declareWithRetry } from './jetstream-declare.ts';
import { kvSpec, limitedStreamSpec, objectStoreSpec, type SpecConfig } from './stream-specs.ts';

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

/**
 * Creates a stream or updates it to `spec` (replicas, limits), idempotently and safely beside other
 * processes declaring it at the same moment (core/jetstream-declare.ts); an equal stream is left alone.
 */
export async function ensureStream(
  jsm: JetStreamManager,
  spec: Partial<StreamConfig> & { name: string },
): Promise<void> {
  await declareWithRetry(`stream ${spec.name}`, async () => {
    let existing: Partial<StreamConfig>;
    try {
      existing = (await jsm.streams.info(spec.name)).config;
    } catch (err) {
      if (!isNotFound(err)) throw err;
      await jsm.streams.add(spec);
      return;
    }
    if (differs(existing, spec)) await jsm.streams.update(spec.name, spec);
  });
}

/** Whether `have` lacks any value of `want` (placement by its tags: servers may omit an empty cluster). */
function differs(have: object, want: object): boolean {
  const h = have as Record<string, unknown>;
  return Object.entries(want).some(([k, v]) =>
    k === 'placement'
      ? JSON.stringify((h.placement as Placement | undefined)?.tags ?? []) !==
        JSON.stringify((v as Placement | undefined)?.tags ?? [])
      : JSON.stringify(h[k]) !== JSON.stringify(v),
  );
}

/**
 * Opens or creates a KV bucket with the configured replicas (and `ttlMs` for transient entries). An
 * existing bucket's stream is brought to them too: nats.js only applies options when it creates one.
 */
export async function ensureKv(
  js: JetStreamClient,
  jsm: JetStreamManager,
  config: SpecConfig,
  bucket: string,
  opts: { ttlMs?: number } = {},
): Promise<KV> {
  const spec = kvSpec(config, opts);
  return declareWithRetry(`KV bucket ${bucket}`, async () => {
    const kv = await new Kvm(js).create(bucket, { ...spec });
    await alignStream(jsm, `KV_${bucket}`, {
      num_replicas: spec.replicas,
      max_age: (opts.ttlMs ?? 0) * 1_000_000,
    });
    return kv;
  });
}

/** Opens or creates an object store with the configured replicas (an existing one is brought to them). */
export async function ensureObjectStore(
  js: JetStreamClient,
  jsm: JetStreamManager,
  config: SpecConfig,
  name: string,
): Promise<ObjectStore> {
  const spec = objectStoreSpec(config);
  // nats.js deletes `replicas` from the options it is given: hand it a copy.
  return declareWithRetry(`object store ${name}`, async () => {
    const os = await new Objm(js).create(name, { ...spec });
    await alignStream(jsm, `OBJ_${name}`, { num_replicas: spec.replicas });
    return os;
  });
}

async function alignStream(
  jsm: JetStreamManager,
  stream: string,
  want: { num_replicas: number; max_age?: number },
): Promise<void> {
  const { config } = await jsm.streams.info(stream);
  if (differs(config, want)) await jsm.streams.update(stream, { ...config, ...want });
}

/** Declares the core streams idempotently with their configured replicas and limits. */
export async function ensureStreams(
  nc: NatsConnection,
  names: StreamNames,
  config: Pick<Config, 'prefix'> & SpecConfig,
): Promise<JetStreamManager> {
  // Creating replicated streams waits for a placement and a leader election: more than the 5 s default.
  const jsm = await jetstreamManager(nc, { timeout: 15_000 });
  const p = config.prefix;
  const specs = [
    limitedStreamSpec(config, 'ingest', names.ingestStream, [`${p}.in.>`]),
    limitedStreamSpec(config, 'events', names.eventsStream, [`${p}.events.>`]),
    limitedStreamSpec(config, 'exceptions', names.exceptionsStream, [`${p}.exceptions.>`]),
    limitedStreamSpec(config, 'dlq', names.deadLetterStream, [`${p}.dlq.>`]),
  ];
  for (const spec of specs) await ensureStream(jsm, spec);
  return jsm;
}

const ns = (ms: number) => ms * 1_000_000;

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
  await declareWithRetry(`consumer ${durable} on ${stream}`, async () => {
    try {
      await jsm.consumers.info(stream, durable);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      await jsm.consumers.add(stream, cfg);
      return;
    }
    await jsm.consumers.update(stream, durable, cfg);
  });
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
