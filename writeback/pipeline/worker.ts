import type { KV } from '@nats-io/kv';
import { LeaseManager, type Logger, type Running } from '../../core/mod.ts';
import type { DeciderTask } from './decider.ts';

export interface PartitionTasks {
  readonly decider: DeciderTask;
  readonly dispatcher: Running;
}

export interface WritebackWorkerDeps {
  readonly leases: KV;
  readonly workerId: string;
  readonly partitions: number;
  readonly leaseTtlMs: number;
  readonly logger: Logger;
  /** Starts the decider and the dispatcher of a partition this worker now owns. */
  readonly startPartition: (partition: number) => Promise<PartitionTasks>;
}

const RESTART_BACKOFF_MS = 1_000;

/**
 * The write-back share of one process: partitions are owned through NATS KV leases (the detector's
 * LeaseManager, its own bucket), so several processes split them and a dead one's move within the TTL.
 * A task that fails (e.g. fenced by a newer owner, or a broker error) is restarted while the lease is held.
 */
export class WritebackWorker implements Running {
  private readonly owned = new Map<number, PartitionTasks>();
  private readonly leases: LeaseManager;
  private loop: NodeJS.Timeout | undefined;
  private reconciling: Promise<void> = Promise.resolve();
  private stopped = false;
  private resolveDone!: () => void;
  readonly done = new Promise<void>((r) => {
    this.resolveDone = r;
  });

  constructor(private readonly deps: WritebackWorkerDeps) {
    this.leases = new LeaseManager(deps.leases, deps.workerId, deps.partitions, deps.logger);
  }

  async start(): Promise<this> {
    await this.reconcile();
    this.loop = setInterval(
      () => {
        this.reconciling = this.reconciling.then(() => this.reconcile());
      },
      Math.max(200, Math.floor(this.deps.leaseTtlMs / 3)),
    );
    return this;
  }

  partitions(): number[] {
    return [...this.owned.keys()].sort((a, b) => a - b);
  }

  private async reconcile(): Promise<void> {
    if (this.stopped) return;
    try {
      const changes = await this.leases.tick();
      for (const p of changes.lost) await this.stopPartition(p);
      for (const p of changes.surplus) {
        await this.stopPartition(p);
        await this.leases.release(p);
      }
      for (const p of changes.acquired) await this.startOrRelease(p);
    } catch (err) {
      this.deps.logger.warn({ err }, 'write-back lease round failed; retrying');
    }
  }

  /**
   * A partition whose tasks cannot start (a broker error during a cluster disruption) is released, so the
   * next lease round takes it again (here or elsewhere) instead of holding a lease nobody works on.
   */
  private async startOrRelease(p: number): Promise<void> {
    try {
      await this.startPartition(p);
    } catch (err) {
      this.deps.logger.warn({ err, partition: p }, 'write-back partition did not start; releasing it');
      await this.leases.release(p).catch(() => undefined);
    }
  }

  private async startPartition(p: number): Promise<void> {
    if (this.stopped || this.owned.has(p)) return;
    const tasks = await this.deps.startPartition(p);
    this.owned.set(p, tasks);
    const onEnd = (what: string) => (err?: unknown) => {
      if (this.stopped || this.owned.get(p) !== tasks) return;
      this.deps.logger.warn({ err, partition: p, task: what }, 'write-back task ended; restarting it');
      this.restart(p, tasks).catch((e: unknown) =>
        this.deps.logger.error({ err: e, partition: p }, 'write-back partition restart failed'),
      );
    };
    tasks.decider.done.then(onEnd('decider'), onEnd('decider'));
    tasks.dispatcher.done.then(onEnd('dispatcher'), onEnd('dispatcher'));
  }

  private async restart(p: number, failed: PartitionTasks): Promise<void> {
    if (this.owned.get(p) !== failed) return;
    this.owned.delete(p);
    await this.stopTasks(failed);
    await new Promise((r) => setTimeout(r, RESTART_BACKOFF_MS));
    if (!this.stopped && this.leases.owns(p)) await this.startOrRelease(p);
  }

  private async stopTasks(t: PartitionTasks): Promise<void> {
    // A task that already failed may fail its stop too: it is stopped either way.
    await Promise.all([t.decider.stop().catch(() => undefined), t.dispatcher.stop().catch(() => undefined)]);
  }

  private async stopPartition(p: number): Promise<void> {
    const t = this.owned.get(p);
    if (!t) return;
    this.owned.delete(p);
    await this.stopTasks(t);
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.loop) clearInterval(this.loop);
    await this.reconciling.catch(() => undefined);
    for (const p of this.partitions()) await this.stopPartition(p);
    await this.leases.releaseAll().catch(() => undefined);
    this.resolveDone();
  }
}
