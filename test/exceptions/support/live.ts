import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { connect } from '@nats-io/transport-node';
import {
  type Config,
  type DetectedException,
  deleteStreams,
  exceptionSchema,
  loadConfig,
  type RawEnv,
  streamNames,
} from '../../../core/mod.ts';
import { deleteDetectorResources, detectorNames } from '../../../exceptions/mod.ts';

export function testConfig(overrides: Partial<RawEnv> = {}): Config {
  const prefix = `t_exc_${Math.random().toString(36).slice(2, 10)}`;
  return loadConfig(
    {},
    {
      DOCKSIDE_PREFIX: prefix,
      DOCKSIDE_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'dockside-exc-')),
      DOCKSIDE_PARTITIONS: '4',
      DOCKSIDE_ALLOWED_LATENESS_MS: '600000',
      DOCKSIDE_IDLE_ADVANCE_MS: '60000',
      DOCKSIDE_SNAPSHOT_INTERVAL_MS: '1000',
      DOCKSIDE_LEASE_TTL_MS: '3000',
      LOG_LEVEL: 'warn',
      ...overrides,
    },
  );
}

/** Publishes through ingest's publisher (the real subjects, partitions and Nats-Msg-Ids), in bounded batches. */
export { publishEvents as publishAll } from '../../../bench/exceptions/harness.ts';

export interface StreamReadout {
  /** Latest state per exception id (highest version). */
  readonly finals: Map<string, DetectedException>;
  /** How many stored messages carried each Nats-Msg-Id (exactly-once: all 1). */
  readonly perMsgId: Map<string, number>;
  readonly messages: number;
}

/** Reads the whole exceptions stream (an ordered consumer) into final states and message-id counts. */
export async function readExceptions(nc: NatsConnection, config: Config): Promise<StreamReadout> {
  const names = streamNames(config.prefix);
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  const finals = new Map<string, DetectedException>();
  const perMsgId = new Map<string, number>();
  const total = (await jsm.streams.info(names.exceptionsStream)).state.messages;
  if (total === 0) return { finals, perMsgId, messages: 0 };
  const consumer = await js.consumers.get(names.exceptionsStream, { deliver_policy: DeliverPolicy.All });
  const messages = await consumer.consume({ max_messages: 5_000 });
  let n = 0;
  for await (const m of messages) {
    n++;
    const ex = exceptionSchema.parse(m.json());
    const id = m.headers?.get('Nats-Msg-Id') ?? `${ex.id}:v${ex.version}`;
    perMsgId.set(id, (perMsgId.get(id) ?? 0) + 1);
    const prev = finals.get(ex.id);
    if (!prev || prev.version < ex.version) finals.set(ex.id, ex);
    if (m.info.pending === 0) break;
  }
  await messages.close();
  return { finals, perMsgId, messages: n };
}

/** What must match between two runs: everything but processing-time fields. */
export function comparable(list: Iterable<DetectedException>): string[] {
  return [...list].map(({ detectedAt: _d, ...rest }) => JSON.stringify(rest)).sort();
}

export async function connectTest(servers = 'nats://127.0.0.1:4222'): Promise<NatsConnection> {
  return connect({ servers, maxReconnectAttempts: -1, reconnectTimeWait: 250, noAsyncTraces: true });
}

export async function cleanup(nc: NatsConnection, config: Config): Promise<void> {
  const names = streamNames(config.prefix);
  await deleteStreams(nc, names).catch(() => undefined);
  await deleteDetectorResources(await jetstreamManager(nc), detectorNames(config.prefix, names)).catch(
    () => undefined,
  );
}

/** Polls `check` until it returns true or the deadline passes (no sleeps as waits). */
export async function until(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs = 60_000,
  pollMs = 100,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (err) {
      // NATS restarting, a bucket not created yet: the condition is simply not met yet.
      lastError = err;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`, { cause: lastError });
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/**
 * Waits until the exceptions stream's final states equal `want`: a full read happens only when the
 * stream holds at least as many messages as `want` has ids and did not grow since the previous poll.
 */
export async function untilStreamMatches(
  nc: NatsConnection,
  config: Config,
  want: readonly string[],
  timeoutMs: number,
): Promise<StreamReadout> {
  const stream = streamNames(config.prefix).exceptionsStream;
  let last = -1;
  let readout: StreamReadout | undefined;
  await until(
    'the exceptions stream to hold the expected final states',
    async () => {
      const jsm = await jetstreamManager(nc);
      const n = (await jsm.streams.info(stream)).state.messages;
      const settled = n >= want.length && n === last;
      last = n;
      if (!settled) return false;
      readout = await readExceptions(nc, config);
      const got = comparable(readout.finals.values());
      return got.length === want.length && got.every((g, i) => g === want[i]);
    },
    timeoutMs,
    500,
  );
  if (!readout) throw new Error('no readout');
  return readout;
}
