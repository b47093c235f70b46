import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { freePort, natsReachable } from '../../app/local-nats.ts';
import {
  type CanonicalEvent,
  type Config,
  createLogger,
  createMetrics,
  ensureStreams,
  loadConfig,
  loadPolicy,
  publisherFor,
  type RawEnv,
  streamNames,
} from '../../core/mod.ts';
import { type OnPublished, startDetectorWorker } from '../../exceptions/mod.ts';
import { EventPublisher } from '../../ingest/mod.ts';

/** A private nats-server for a benchmark run (never the shared one), removed afterwards. */
export class BenchNats {
  private proc: ChildProcess | undefined;
  readonly dir = mkdtempSync(path.join(tmpdir(), 'dockside-bench-nats-'));
  port = 0;

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.port = await freePort();
    this.proc = spawn('nats-server', ['-js', '-a', '127.0.0.1', '-p', String(this.port), '-sd', this.dir], {
      stdio: 'ignore',
    });
    for (let i = 0; i < 300 && !(await natsReachable(`nats://127.0.0.1:${this.port}`, 200)); i++)
      await new Promise((r) => setTimeout(r, 50));
  }

  async stop(): Promise<void> {
    const p = this.proc;
    if (p && p.exitCode === null) {
      const exited = new Promise((r) => p.once('exit', r));
      p.kill('SIGTERM');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export function benchConfig(natsUrl: string, overrides: Partial<RawEnv> = {}): Config {
  return loadConfig(
    {},
    {
      NATS_URL: natsUrl,
      DOCKSIDE_PREFIX: `b_${Math.random().toString(36).slice(2, 8)}`,
      DOCKSIDE_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'dockside-bench-')),
      DOCKSIDE_PARTITIONS: '8',
      DOCKSIDE_ALLOWED_LATENESS_MS: '600000',
      DOCKSIDE_IDLE_ADVANCE_MS: '60000',
      DOCKSIDE_SNAPSHOT_INTERVAL_MS: '10000',
      LOG_LEVEL: 'warn',
      ...overrides,
    },
  );
}

export async function publishEvents(
  nc: NatsConnection,
  config: Config,
  events: readonly CanonicalEvent[],
): Promise<void> {
  const names = streamNames(config.prefix);
  await ensureStreams(nc, names, config);
  const publisher = new EventPublisher(publisherFor(nc), names, config);
  for (let i = 0; i < events.length; i += 10_000) {
    await Promise.all(events.slice(i, i + 10_000).map((e) => publisher.publish(e)));
  }
}

/** The reference: a bare durable consume-and-ack loop over the same events stream (JSON parse, no work). */
export async function bareConsumeAndAck(nc: NatsConnection, config: Config, count: number): Promise<number> {
  const names = streamNames(config.prefix);
  const jsm = await jetstreamManager(nc);
  const durable = `bare_${Math.random().toString(36).slice(2, 8)}`;
  await jsm.consumers.add(names.eventsStream, {
    durable_name: durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    max_ack_pending: 20_000,
  });
  const consumer = await jetstream(nc).consumers.get(names.eventsStream, durable);
  const started = performance.now();
  const messages = await consumer.consume({ max_messages: 2_000 });
  let n = 0;
  for await (const m of messages) {
    JSON.parse(m.string());
    m.ack();
    if (++n >= count) break;
  }
  const ms = performance.now() - started;
  await messages.close();
  await jsm.consumers.delete(names.eventsStream, durable);
  return (count / ms) * 1000;
}

/** Runs one in-process detector worker until it has caught up with the stream; events/s. */
export async function detectorThroughput(
  nc: NatsConnection,
  config: Config,
  count: number,
  onPublished?: OnPublished,
): Promise<{ eventsPerSecond: number; stop: () => Promise<void> }> {
  const names = streamNames(config.prefix);
  const jsm = await jetstreamManager(nc);
  const metrics = createMetrics();
  // As `dockside detect` does before it starts its worker (the input may not have been created yet).
  await ensureStreams(nc, names, config);
  const started = performance.now();
  const worker = await startDetectorWorker({
    nc,
    js: jetstream(nc),
    jsm,
    names,
    config,
    policy: loadPolicy(config.policyFile),
    logger: createLogger(config),
    metrics,
    workerId: `bench-${process.pid}`,
    ...(onPublished ? { onPublished } : {}),
  });
  for (;;) {
    const done = (await metrics.detectorEvents.get()).values
      .filter((v) => String(v.labels.task).startsWith('events-'))
      .reduce((a, v) => a + v.value, 0);
    if (done >= count) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const ms = performance.now() - started;
  return { eventsPerSecond: (count / ms) * 1000, stop: () => worker.stop() };
}

export async function connectBench(url: string): Promise<NatsConnection> {
  return connect({ servers: url, maxReconnectAttempts: -1, noAsyncTraces: true });
}
