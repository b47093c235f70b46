import type { JetStreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { z } from 'zod';
import { chTime, queryRows, type Store } from '../core/mod.ts';

/**
 * The operations page's reads: NATS (connection, round trip, streams and durable consumers, lease buckets)
 * and ClickHouse (ping, dead letters, the last forecast run). Thin adapters; verdicts are in ops-status.ts.
 */

/** Rejects after `ms` so one stuck probe cannot hold the whole page. */
export function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export interface NatsFigures {
  readonly connected: boolean;
  /** The server this process is connected to (host:port). */
  readonly server: string | null;
  readonly serverName: string | null;
  readonly version: string | null;
  readonly jetstream: boolean;
  readonly rttMs: number | null;
  readonly error?: string;
}

export async function natsFigures(nc: NatsConnection, timeoutMs: number): Promise<NatsFigures> {
  const info = nc.info;
  const base = {
    connected: !nc.isClosed(),
    server: nc.isClosed() ? null : nc.getServer(),
    serverName: info?.server_name ?? null,
    version: info?.version ?? null,
    jetstream: info?.jetstream === true,
  };
  try {
    const rtt = await within(timeoutMs, 'NATS round trip', nc.rtt());
    return { ...base, rttMs: Math.round(rtt * 10) / 10 };
  } catch (err) {
    return { ...base, rttMs: null, error: errorText(err) };
  }
}

export interface ClickHouseFigures {
  readonly ok: boolean;
  readonly pingMs: number | null;
  readonly error?: string;
}

export async function clickhouseFigures(store: Store, timeoutMs: number): Promise<ClickHouseFigures> {
  const started = performance.now();
  try {
    const ping = await within(timeoutMs, 'ClickHouse ping', store.client.ping());
    if (!ping.success) return { ok: false, pingMs: null, error: errorText(ping.error) };
    // A query, not only the ping: embedded chDB answers ping without touching the data directory.
    await within(timeoutMs, 'ClickHouse query', queryRows(store, 'SELECT 1 AS one'));
    return { ok: true, pingMs: Math.round((performance.now() - started) * 10) / 10 };
  } catch (err) {
    return { ok: false, pingMs: null, error: errorText(err) };
  }
}

export interface ConsumerFigures {
  readonly stream: string;
  readonly name: string;
  readonly filter: string | null;
  readonly pending: number;
  readonly ackPending: number;
  readonly redelivered: number;
  /** Stream sequence of the last message delivered to the consumer. */
  readonly deliveredSeq: number;
  /** Stream sequence up to which every message was acknowledged. */
  readonly ackFloorSeq: number;
  readonly streamLastSeq: number;
  /** Subjects of the stream (to tell the write-back outbox from the others). */
  readonly streamSubjects: readonly string[];
}

/**
 * Every durable consumer on the streams of this prefix: streams named `<P>_…` whose subjects are all under
 * `<prefix>.` (so another deployment sharing the server, with a longer prefix, is not mixed in).
 */
export async function durableConsumers(
  jsm: JetStreamManager,
  prefix: string,
  streamPrefix: string,
): Promise<ConsumerFigures[]> {
  const out: ConsumerFigures[] = [];
  for await (const s of jsm.streams.list()) {
    const subjects = s.config.subjects ?? [];
    const ours =
      s.config.name.startsWith(`${streamPrefix}_`) &&
      subjects.length > 0 &&
      subjects.every((x) => x.startsWith(`${prefix}.`));
    if (!ours) continue;
    for await (const c of jsm.consumers.list(s.config.name)) {
      if (!c.config.durable_name) continue;
      const filters = c.config.filter_subjects ?? (c.config.filter_subject ? [c.config.filter_subject] : []);
      out.push({
        stream: s.config.name,
        name: c.name,
        filter: filters.length ? filters.join(', ') : null,
        pending: c.num_pending,
        ackPending: c.num_ack_pending,
        redelivered: c.num_redelivered,
        deliveredSeq: c.delivered.stream_seq,
        ackFloorSeq: c.ack_floor.stream_seq,
        streamLastSeq: s.state.last_seq,
        streamSubjects: subjects,
      });
    }
  }
  return out.sort((a, b) => a.stream.localeCompare(b.stream) || a.name.localeCompare(b.name));
}

export interface LeaseFigures {
  /** Partition → owner id (the value of key `p.<n>`), for every partition 0..count-1; null = no owner. */
  readonly owners: readonly { readonly partition: number; readonly owner: string | null }[];
  /** Workers that announced themselves (`w.<id>`) within the lease TTL, with when. */
  readonly workers: readonly { readonly id: string; readonly seenAt: string | null }[];
}

/** Partition owners from a lease bucket (core/leases.ts: keys `p.<n>` hold the owner, `w.<id>` a heartbeat). */
export async function leaseFigures(nc: NatsConnection, bucket: string, count: number): Promise<LeaseFigures> {
  const kv = await new Kvm(nc).open(bucket);
  const owners = new Map<number, string>();
  const workers: { id: string; seenAt: string | null }[] = [];
  const keys: string[] = [];
  for await (const k of await kv.keys()) keys.push(k);
  for (const key of keys) {
    const e = await kv.get(key);
    if (e?.operation !== 'PUT') continue;
    const p = /^p\.(\d+)$/.exec(key);
    if (p) owners.set(Number(p[1]), e.string());
    else if (key.startsWith('w.')) {
      const ms = Number(e.string());
      workers.push({ id: key.slice(2), seenAt: Number.isFinite(ms) ? new Date(ms).toISOString() : null });
    }
  }
  return {
    owners: Array.from({ length: count }, (_, partition) => ({
      partition,
      owner: owners.get(partition) ?? null,
    })),
    workers: workers.sort((a, b) => a.id.localeCompare(b.id)),
  };
}

const deadLetterRow = z.object({
  source: z.string(),
  code: z.string(),
  count: z.coerce.number(),
  last24h: z.coerce.number(),
  lastAt: z.string(),
});
export type DeadLetterGroup = z.output<typeof deadLetterRow>;

export async function deadLetterGroups(store: Store, nowMs: number): Promise<DeadLetterGroup[]> {
  return z.array(deadLetterRow).parse(
    await queryRows<unknown>(
      store,
      `SELECT source, code, toUInt32(count()) AS count,
              toUInt32(countIf(received_at >= {since:DateTime64(3, 'UTC')})) AS last24h,
              toString(max(received_at)) AS lastAt
       FROM ${store.table('dead_letters')} FINAL
       GROUP BY source, code ORDER BY count DESC, source, code`,
      { since: chTime(nowMs - 24 * 3_600_000) },
    ),
  );
}

const runRow = z.object({
  runId: z.string(),
  createdAt: z.string(),
  measure: z.string(),
  origin: z.string(),
  horizon: z.coerce.number(),
  lanes: z.coerce.number(),
  served: z.string(),
});
export type ForecastRunFigures = z.output<typeof runRow>;

export async function lastForecastRun(store: Store): Promise<ForecastRunFigures | null> {
  const rows = z.array(runRow).parse(
    await queryRows<unknown>(
      store,
      `SELECT run_id AS runId, toString(created_at) AS createdAt, measure, toString(origin) AS origin,
              horizon, lanes, served
       FROM ${store.table('forecast_runs')} FINAL ORDER BY created_at DESC LIMIT 1`,
    ),
  );
  return rows[0] ?? null;
}
