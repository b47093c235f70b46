import { hostname } from 'node:os';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { Objm } from '@nats-io/obj';
import type { NatsConnection } from '@nats-io/transport-node';
import type {
  Config,
  DetectedException,
  JetStreamPublisher,
  Logger,
  Metrics,
  Policy,
  Running,
  StreamNames,
} from '../../core/mod.ts';
import { LeaseManager, partitionOf, publisherFor } from '../../core/mod.ts';
import type { AggregateSnapshot } from '../aggregates/aggregate-detector.ts';
import { type FeedSourceView, mergeFeedViews } from '../feeds.ts';
import type { DetectorSnapshot } from '../snapshot.ts';
import type { Rule, SubjectKind } from '../types.ts';
import { AggregateLogic } from './aggregate-logic.ts';
import { Gate } from './gate.ts';
import type { MetricSample } from './messages.ts';
import { detectorNames } from './names.ts';
import { type OnPublished, OutputPublisher, type PublishedInfo } from './outputs.ts';
import { PartitionLogic } from './partition-logic.ts';
import { FailureBook } from './poison.ts';
import { ensureDetectorResources } from './resources.ts';
import { TaskRunner } from './runner.ts';
import { SnapshotStore } from './snapshots.ts';

export interface WorkerDeps {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly names: StreamNames;
  readonly config: Config;
  readonly policy: Policy;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Stable identity: a restarted process with the same id takes its partitions back without waiting the TTL. */
  readonly workerId?: string;
  readonly onPublished?: OnPublished;
  /** The keyed rules stage one runs (default: every rule in exceptions/rules/). */
  readonly rules?: readonly Rule<SubjectKind>[];
}

interface Owned {
  readonly events: TaskRunner<DetectorSnapshot>;
  readonly agg: TaskRunner<AggregateSnapshot>;
  readonly logic: PartitionLogic;
}

const RESTART_BACKOFF_MS = 1_000;

/**
 * A detector process's share of the work: it holds partition leases in NATS KV and, for each partition it
 * owns, runs the stage-one task (events) and the stage-two task (aggregates). Partitions move between
 * processes only through the leases; state moves through the snapshots and the streams.
 */
export class DetectorWorker implements Running {
  readonly id: string;
  private readonly owned = new Map<number, Owned>();
  private loop: NodeJS.Timeout | undefined;
  private readonly snapshotGate = new Gate();
  private readonly failures: FailureBook;
  /** One ack subscription for every task's outputs. */
  private readonly acked: JetStreamPublisher;
  private reconciling: Promise<void> = Promise.resolve();
  private stopped = false;
  private leases: LeaseManager | undefined;
  private snapshots: SnapshotStore | undefined;
  private doneResolve: (() => void) | undefined;
  readonly done: Promise<void>;
  /** Since the last metric sample: detection latencies and absence lags (ms), emission count. */
  private latencies: number[] = [];
  private absences: number[] = [];
  private emitted = 0;
  private lastEvents = 0;
  private lastLate = 0;

  constructor(private readonly deps: WorkerDeps) {
    this.id = (deps.workerId ?? `${hostname()}-${process.pid}`).replace(/[^A-Za-z0-9_-]/g, '_');
    this.acked = publisherFor(deps.nc);
    this.failures = new FailureBook(deps.config.delivery);
    this.done = new Promise((r) => {
      this.doneResolve = r;
    });
  }

  async start(): Promise<this> {
    const { nc, jsm, config } = this.deps;
    const dn = detectorNames(config.prefix, this.deps.names);
    await ensureDetectorResources(this.deps.js, jsm, dn, config);
    const kv = await new Kvm(nc).open(dn.leaseBucket);
    this.snapshots = new SnapshotStore(await new Objm(nc).open(dn.snapshotBucket), config.detectorStallMs);
    this.leases = new LeaseManager(kv, this.id, config.partitions, this.deps.logger);
    await this.reconcile();
    this.loop = setInterval(
      () => {
        this.reconciling = this.reconciling.then(() => this.reconcile());
      },
      Math.max(200, Math.floor(config.leaseTtlMs / 3)),
    );
    return this;
  }

  /** Partitions this worker currently runs. */
  partitions(): number[] {
    return [...this.owned.keys()].sort((a, b) => a - b);
  }

  /** Resolves when every owned task has read its input up to where it stood when the task started. */
  async caughtUp(): Promise<void> {
    await Promise.all([...this.owned.values()].flatMap((o) => [o.events.caughtUp, o.agg.caughtUp]));
  }

  stats(): { shipments: number; timers: number; subjects: number } {
    let shipments = 0;
    let timers = 0;
    let subjects = 0;
    for (const o of this.owned.values()) {
      const s = o.logic.detector?.stats();
      shipments += s?.shipments ?? 0;
      timers += s?.timers ?? 0;
      subjects += s?.subjects ?? 0;
    }
    return { shipments, timers, subjects };
  }

  private async reconcile(): Promise<void> {
    const leases = this.leases;
    if (!leases || this.stopped) return;
    try {
      const changes = await leases.tick();
      for (const p of changes.lost) await this.stopPartition(p, false);
      for (const p of changes.surplus) {
        await this.stopPartition(p, true);
        await leases.release(p);
      }
      for (const p of changes.acquired) this.startPartition(p);
      const s = this.stats();
      this.deps.metrics.detectorPartitions.set(this.owned.size);
      this.deps.metrics.detectorState.set({ kind: 'shipments' }, s.shipments);
      this.deps.metrics.detectorState.set({ kind: 'timers' }, s.timers);
      this.deps.metrics.detectorState.set({ kind: 'subjects' }, s.subjects);
      await this.publishSample();
      if (changes.acquired.length || changes.lost.length || changes.surplus.length) {
        this.deps.logger.info(
          { worker: this.id, owned: this.partitions(), ...changes },
          'detector partitions changed',
        );
      }
    } catch (err) {
      this.deps.logger.warn({ err, worker: this.id }, 'lease round failed; retrying');
    }
  }

  private observe(ex: DetectedException, info: PublishedInfo): void {
    if (info.duplicate) return;
    this.emitted++;
    if (info.receivedAtMs !== undefined) this.latencies.push(info.ackMs - info.receivedAtMs);
    else if (info.fromTimer && ex.status === 'open') {
      const lag = info.ackMs - Date.parse(ex.occurredAt);
      if (lag >= 0 && lag < 3_600_000) this.absences.push(lag);
    }
    if (this.latencies.length > 100_000) this.latencies = this.latencies.slice(-50_000);
    if (this.absences.length > 100_000) this.absences = this.absences.slice(-50_000);
  }

  /** A worker-level sample on the detector stream (stored in detector_metrics by the sink). */
  private async publishSample(): Promise<void> {
    if (this.owned.size === 0) return;
    const now = Date.now();
    const events = await counterValue(this.deps.metrics.detectorEvents);
    const late = await counterValue(this.deps.metrics.lateEvents);
    const sources = new Map<string, { lag: number; idle: boolean }>();
    let wmLag: number | null = null;
    const feedViews: FeedSourceView[][] = [];
    for (const o of this.owned.values()) {
      const d = o.logic.detector;
      if (!d) continue;
      feedViews.push(d.feedStats());
      const wm = d.watermarkMs(now);
      if (Number.isFinite(wm)) wmLag = Math.max(wmLag ?? 0, (now - wm) / 1000);
      for (const s of d.sourceWatermarks(now)) {
        const lag = (now - s.watermarkMs) / 1000;
        const prev = sources.get(s.source);
        if (!prev || lag > prev.lag) sources.set(s.source, { lag, idle: s.idle });
      }
    }
    const s = this.stats();
    // Per source, what it sends and what rules skipped for it: the operations view can say "olist sends no PODs".
    const feeds = new Map(mergeFeedViews(feedViews, this.deps.config.feeds).map((f) => [f.source, f]));
    const sample: MetricSample = {
      at: new Date(now).toISOString(),
      worker: this.id,
      task: 'worker',
      events: Math.max(0, events - this.lastEvents),
      emissions: this.emitted,
      late: Math.max(0, late - this.lastLate),
      subjects: s.subjects,
      timers: s.timers,
      watermarkLagSeconds: wmLag,
      latencyP50Ms: percentile(this.latencies, 0.5),
      latencyP99Ms: percentile(this.latencies, 0.99),
      absenceLagP99Ms: percentile(this.absences, 0.99),
      sources: [...sources].map(([source, v]) => {
        const f = feeds.get(source);
        const feed = f && {
          deliveries: f.deliveries,
          pods: f.pods,
          firstPodAt: f.firstPodAt,
          pod: f.pod,
          suppressed: { ...f.suppressed },
        };
        return { source, lagSeconds: v.lag, idle: v.idle, ...(feed ? { feed } : {}) };
      }),
    };
    this.lastEvents = events;
    this.lastLate = late;
    this.emitted = 0;
    this.latencies = [];
    this.absences = [];
    const dn = detectorNames(this.deps.config.prefix, this.deps.names);
    await this.acked.publish(dn.metricsSubject, JSON.stringify(sample), {
      msgID: `metrics:${this.id}:${now}`,
    });
  }

  private startPartition(p: number): void {
    const { config, names, metrics, policy, logger } = this.deps;
    const leases = this.leases;
    const snapshots = this.snapshots;
    if (!leases || !snapshots || this.owned.has(p)) return;
    const dn = detectorNames(config.prefix, names);
    const runnerDeps = {
      js: this.deps.js,
      acked: this.acked,
      jsm: this.deps.jsm,
      names,
      snapshots,
      config,
      logger,
      metrics,
      worker: this.id,
      owns: () => leases.owns(p),
      snapshotGate: this.snapshotGate,
      failures: this.failures,
    };
    const publisher = (task: string) =>
      new OutputPublisher(task, names, dn, metrics, config.partitions, partitionOf, (ex, info) => {
        this.observe(ex, info);
        this.deps.onPublished?.(ex, info);
      });
    const logic = new PartitionLogic(
      p,
      {
        policy,
        allowedLatenessMs: config.allowedLatenessMs,
        idleAdvanceMs: config.idleAdvanceMs,
        retentionMs: config.stateRetentionMs,
        feeds: config.feeds,
        ...(this.deps.rules ? { rules: this.deps.rules } : {}),
      },
      names,
      dn,
      publisher(`events-${p}`),
      metrics,
    );
    const aggLogic = new AggregateLogic(
      p,
      { policy, partitions: config.partitions, retentionMs: config.stateRetentionMs },
      dn,
      publisher(`agg-${p}`),
      metrics,
    );
    const owned: Owned = {
      logic,
      events: new TaskRunner(logic, runnerDeps).start(),
      agg: new TaskRunner(aggLogic, runnerDeps).start(),
    };
    this.owned.set(p, owned);
    for (const task of [owned.events, owned.agg]) {
      task.done.catch((err: unknown) => {
        if (this.stopped || this.owned.get(p) !== owned) return;
        const delayMs = task.restartDelayMs ?? RESTART_BACKOFF_MS;
        logger.error(
          { err, task: task.name, worker: this.id, delayMs },
          'detector task failed; restarting from its snapshot',
        );
        void this.restartPartition(p, owned, delayMs);
      });
    }
  }

  private async restartPartition(p: number, failed: Owned, delayMs: number): Promise<void> {
    if (this.owned.get(p) !== failed) return;
    this.owned.delete(p);
    await Promise.all([failed.events.stop({ snapshot: false }), failed.agg.stop({ snapshot: false })]);
    await new Promise((r) => setTimeout(r, delayMs));
    if (!this.stopped && this.leases?.owns(p)) this.startPartition(p);
  }

  private async stopPartition(p: number, snapshot: boolean): Promise<void> {
    const o = this.owned.get(p);
    if (!o) return;
    this.owned.delete(p);
    const stopped = Promise.all([o.events.stop({ snapshot }), o.agg.stop({ snapshot })]);
    if (snapshot) {
      await stopped;
      return;
    }
    // A lost lease: no final snapshot to wait for, and a task stuck in a request to a disturbed cluster
    // must not hold up the lease loop (every other lease of this worker would lapse behind it).
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      stopped,
      new Promise((r) => {
        timer = setTimeout(r, this.deps.config.detectorStallMs);
      }),
    ]);
    clearTimeout(timer);
  }

  /** Graceful: final snapshots, then the leases are released so others take over at once. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.loop) clearInterval(this.loop);
    await this.reconciling.catch(() => undefined);
    for (const p of this.partitions()) await this.stopPartition(p, true);
    await this.leases?.releaseAll().catch(() => undefined);
    this.doneResolve?.();
  }
}

export async function startDetectorWorker(deps: WorkerDeps): Promise<DetectorWorker> {
  return new DetectorWorker(deps).start();
}

async function counterValue(c: { get(): Promise<{ values: { value: number }[] }> }): Promise<number> {
  return (await c.get()).values.reduce((a, v) => a + v.value, 0);
}

function percentile(xs: number[], q: number): number | null {
  if (xs.length === 0) return null;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? null;
}
