import {
  type Consumer,
  DeliverPolicy,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import type { z } from 'zod';
import {
  type Config,
  DocksideError,
  type JetStreamPublisher,
  type Logger,
  type Metrics,
  publishDeadLetter,
  RetryableError,
  type StreamNames,
} from '../../core/mod.ts';
import type { Gate } from './gate.ts';
import { publishedSince } from './journal.ts';
import { Outbox } from './outbox.ts';
import type { FailureBook, Parked, TaskFailures } from './poison.ts';
import {
  SnapshotAbandonedError,
  SnapshotCorruptError,
  type SnapshotSource,
  type SnapshotStore,
  type Stored,
} from './snapshots.ts';
import { watchProgress } from './watchdog.ts';

/** One task's pure processing, plugged into the runner (stage one per partition, stage two per partition). */
export interface TaskLogic<S> {
  readonly name: string;
  readonly stream: string;
  readonly filter: string;
  /** The state of a format-1 snapshot (one JSON document; still read). */
  readonly snapshotSchema: z.ZodType<S>;
  /** Builds the processor from a restored format-1 snapshot, or empty (then format-2 records follow). */
  init(state: S | undefined, nowMs: number): void;
  /** Applies one record of a format-2 snapshot (parsed JSON, not yet validated: throws when invalid). */
  restoreRecord(record: unknown, nowMs: number): void;
  /** Handles one message synchronously, sending outputs through `out`. Throws DocksideError to dead-letter. */
  onMessage(msg: JsMsg, nowMs: number, out: TaskOutput): void;
  /** Fires due deadlines (processing-time tick or after a batch). */
  onTick(nowMs: number, out: TaskOutput): void;
  /** A consistent view of the state now, read out a slice at a time while processing goes on. */
  openSnapshot(): SnapshotSource;
}

/** Where a task's outputs go; `suppressed` are message ids already published before a restore (journal). */
export interface TaskOutput {
  readonly outbox: Outbox;
  readonly suppressed: ReadonlySet<string>;
}

export interface RunnerDeps {
  readonly js: JetStreamClient;
  /** Where the outbox and dead letters publish (the connection's publisher, shared by the worker's tasks). */
  readonly acked: JetStreamPublisher;
  readonly jsm: JetStreamManager;
  readonly names: StreamNames;
  readonly snapshots: SnapshotStore;
  readonly config: Pick<
    Config,
    'snapshotIntervalMs' | 'dedupeWindowMs' | 'timerTickMs' | 'delivery' | 'detectorStallMs'
  >;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly worker: string;
  /** False once the partition's lease is lost: no more snapshots from this (zombie) owner. */
  readonly owns: () => boolean;
  readonly snapshotGate: Gate;
  /** Failed deliveries per task, kept across restarts (poison messages: exceptions/live/poison.ts). */
  readonly failures: FailureBook;
}

const MAX_IN_FLIGHT = 20_000;

/**
 * Runs one task: restore its snapshot, replay its input from the snapshot's sequence + 1 (an ordered
 * consumer with a single filter subject), process, publish through the outbox, snapshot periodically.
 *
 * Exactly-once: outputs carry deterministic Nats-Msg-Ids; a snapshot is written only after the outbox is
 * empty, so every effect of the events it covers is stored in JetStream; after a crash the replay from the
 * snapshot re-derives the same outputs, which JetStream drops as duplicates within its window (and the
 * journal suppresses beyond it).
 */
export class TaskRunner<S> {
  private readonly outbox: Outbox;
  private seq = 0;
  private stopping = false;
  private messages: { close(): Promise<unknown> } | undefined;
  private tick: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  /** Since when the loop has been waiting for the next message (undefined while it handles one). */
  private waitingSinceMs: number | undefined;
  /** Set by the watchdog: why the consumer was closed (run() throws it so the worker restarts the task). */
  private stalled: Error | undefined;
  private lastSnapshotMs = 0;
  private snapshotSeq = -1;
  /** The snapshot being written, if any (processing goes on meanwhile). */
  private writing: Promise<void> | undefined;
  private abandon = false;
  private suppressed: ReadonlySet<string> = new Set();
  private caughtUpResolve: (() => void) | undefined;
  /** Resolves once the task has read everything its input held when it started. */
  readonly caughtUp: Promise<void>;
  readonly done: Promise<void>;
  private startResolve!: () => void;
  private readonly failures: TaskFailures;
  /** Set when the handler failed unexpectedly: how long the worker waits before restarting the task. */
  restartDelayMs: number | undefined;

  constructor(
    private readonly logic: TaskLogic<S>,
    private readonly deps: RunnerDeps,
  ) {
    this.outbox = new Outbox(deps.acked);
    this.failures = deps.failures.of(logic.name);
    this.caughtUp = new Promise((r) => {
      this.caughtUpResolve = r;
    });
    const started = new Promise<void>((r) => {
      this.startResolve = r;
    });
    this.done = started.then(() => this.run());
  }

  get name(): string {
    return this.logic.name;
  }

  start(): this {
    this.startResolve();
    return this;
  }

  private async run(): Promise<void> {
    const { logic, deps } = this;
    // Restores take turns (as snapshot writes do): a large one is CPU- and memory-heavy for a while.
    const release = await deps.snapshotGate.acquire();
    let stored: Stored | undefined;
    const now = Date.now();
    try {
      stored = await this.restore(now);
    } finally {
      release();
    }
    this.seq = stored?.seq ?? 0;
    this.snapshotSeq = this.seq;
    this.lastSnapshotMs = now;
    // Within the duplicate window JetStream drops re-published ids itself; beyond it, read what we published.
    const since = stored ? stored.takenAtMs : 0;
    if (now - since > deps.config.dedupeWindowMs / 2) {
      this.suppressed = await publishedSince(
        deps.js,
        deps.jsm,
        deps.names.exceptionsStream,
        logic.name,
        since - 60_000,
        deps.config.detectorStallMs,
      );
    }
    if (this.stopping) return;
    const consumer = await deps.js.consumers.get(logic.stream, {
      filter_subjects: logic.filter,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: this.seq + 1,
    });
    const pending = (await consumer.info(true)).num_pending;
    if (pending === 0) this.caughtUpResolve?.();
    const messages = await consumer.consume({ max_messages: 500 });
    this.messages = messages;
    // stop() may have come while the consumer was being created: it could not close it then, and the
    // loop below would only notice at the next message, which an idle or stalled input never delivers.
    if (this.stopping) {
      await messages.close();
      return;
    }
    this.tick = setInterval(() => this.onTick(), deps.config.timerTickMs);
    this.watch(consumer);
    const out: TaskOutput = { outbox: this.outbox, suppressed: this.suppressed };
    let n = 0;
    this.waitingSinceMs = Date.now();
    for await (const msg of messages) {
      this.waitingSinceMs = undefined;
      if (this.stopping) break;
      const parked = this.failures.size > 0 ? this.failures.parked(msg.seq) : undefined;
      if (parked) this.park(msg, parked);
      else this.handle(msg, out);
      this.seq = msg.seq;
      n++;
      const idle = msg.info.pending === 0;
      // Outputs leave in batches while there is a backlog (one socket write per batch), at once when idle.
      if (idle || (n & 63) === 0) this.outbox.flush();
      if (idle || (n & 255) === 0) {
        logic.onTick(Date.now(), out);
        this.outbox.flush();
        // Buffered messages resolve without touching the event loop: let lease renewals and acks through.
        await new Promise<void>((r) => setImmediate(r));
      }
      if (idle) this.caughtUpResolve?.();
      if (this.outbox.failed) throw this.outbox.failed;
      if (this.outbox.size > MAX_IN_FLIGHT) await this.outbox.throttle(MAX_IN_FLIGHT / 2);
      if (!this.writing && Date.now() - this.lastSnapshotMs >= deps.config.snapshotIntervalMs)
        this.snapshotInBackground();
      this.waitingSinceMs = Date.now();
    }
    this.waitingSinceMs = undefined;
    if (this.outbox.failed) throw this.outbox.failed;
    if (this.stalled && !this.stopping) throw this.stalled;
  }

  /** See watchProgress: a consumer that waits while the server holds messages is closed, and run() fails. */
  private watch(consumer: Consumer): void {
    this.watchdog = watchProgress({
      consumer,
      stallMs: this.deps.config.detectorStallMs,
      waitingSince: () => (this.stopping ? undefined : this.waitingSinceMs),
      onStall: (waitedMs, why) => {
        this.stalled ??= new RetryableError(
          'DETECTOR_STALLED',
          `task ${this.logic.name} received no message for ${waitedMs} ms with ${why}`,
        );
        return this.messages?.close();
      },
    });
  }

  private handle(msg: JsMsg, out: TaskOutput): void {
    try {
      this.logic.onMessage(msg, Date.now(), out);
    } catch (err) {
      if (err instanceof SyntaxError || (err instanceof DocksideError && err.action !== 'retry')) {
        const code = err instanceof DocksideError ? err.code : 'EVENT_NOT_JSON';
        this.outbox.track(
          publishDeadLetter(this.deps.acked, this.deps.names, {
            source: 'detector',
            position: `${this.logic.stream}#${msg.seq}`,
            code,
            reason: err.message,
            raw: msg.string(),
          }),
        );
        this.deps.metrics.deadLetters.inc({ source: 'detector', code });
        return;
      }
      // A bug or something unclassified: the state may be half-changed, so the task restarts from its
      // snapshot (a redelivery), until the message failed on each allowed delivery; then it is parked.
      const outcome = this.failures.failed(msg.seq, err);
      this.restartDelayMs = outcome.kind === 'nak' ? outcome.delayMs : 0;
      // The worker logs the error itself when it restarts the task.
      const next = outcome.kind === 'nak' ? 'retried after a restart' : 'parked on the next run';
      this.deps.logger.warn({ task: this.logic.name, seq: msg.seq }, `detector handler failed; ${next}`);
      throw err;
    }
  }

  /** Dead-letters a message that kept failing and skips it; a snapshot covering it waits for the letter. */
  private park(msg: JsMsg, parked: Parked): void {
    const source = `detector:${this.logic.name}`;
    this.outbox.track(
      publishDeadLetter(this.deps.acked, this.deps.names, {
        source,
        position: `${this.logic.stream}#${msg.seq}`,
        code: parked.code,
        reason: parked.reason,
        raw: msg.string(),
      }),
    );
    this.deps.metrics.deadLetters.inc({ source: 'detector', code: parked.code });
    this.deps.logger.warn(
      { task: this.logic.name, seq: msg.seq, code: parked.code },
      'message kept failing the detector; dead-lettered and skipped',
    );
  }

  /** Reads the task's snapshot into the logic; a corrupt one means replaying from the start. */
  private async restore(nowMs: number): Promise<Stored | undefined> {
    const { logic, deps } = this;
    try {
      const stored = await deps.snapshots.get(logic.name);
      if (stored?.format === 1) {
        const state = logic.snapshotSchema.safeParse(stored.state);
        if (!state.success) {
          throw new SnapshotCorruptError(`snapshot of ${logic.name} has an invalid state`, {
            cause: state.error,
          });
        }
        logic.init(state.data, nowMs);
      } else {
        logic.init(undefined, nowMs);
        if (stored) {
          try {
            for await (const record of stored.records) logic.restoreRecord(record, nowMs);
          } catch (cause) {
            if (cause instanceof SnapshotCorruptError) throw cause;
            throw new SnapshotCorruptError(`snapshot of ${logic.name} has an invalid record`, { cause });
          }
        }
      }
      deps.metrics.detectorRestores.inc({ from: stored ? 'snapshot' : 'empty' });
      return stored;
    } catch (err) {
      if (!(err instanceof SnapshotCorruptError)) throw err;
      // Replaying from the start is always correct (the detector is deterministic); only slower.
      deps.logger.error(
        { err, task: logic.name },
        'snapshot unusable; replaying the task input from its start',
      );
      logic.init(undefined, nowMs);
      deps.metrics.detectorRestores.inc({ from: 'empty' });
      return undefined;
    }
  }

  private onTick(): void {
    if (this.stopping) return;
    try {
      this.logic.onTick(Date.now(), { outbox: this.outbox, suppressed: this.suppressed });
      this.outbox.flush();
    } catch (err) {
      this.deps.logger.error({ err, task: this.logic.name }, 'detector tick failed');
    }
    if (!this.writing && Date.now() - this.lastSnapshotMs >= this.deps.config.snapshotIntervalMs * 3) {
      // An idle input never reaches the per-message check: snapshot from the tick too.
      this.snapshotInBackground();
    }
  }

  private snapshotInBackground(): void {
    this.snapshot().catch((err: unknown) => {
      if (!(err instanceof SnapshotAbandonedError))
        this.deps.logger.error({ err, task: this.logic.name }, 'snapshot failed');
    });
  }

  /**
   * Writes a snapshot without pausing processing: waits for its turn at the gate, opens a consistent view
   * of the state at the current sequence (copy-on-write), streams it to the object store while processing
   * goes on, and lets it become visible only once every output of the events it covers is stored.
   */
  snapshot(): Promise<void> {
    this.writing ??= this.writeSnapshot().finally(() => {
      this.writing = undefined;
    });
    return this.writing;
  }

  private async writeSnapshot(): Promise<void> {
    const release = await this.deps.snapshotGate.acquire();
    try {
      const started = Date.now();
      this.lastSnapshotMs = started;
      if (this.abandon || !this.deps.owns()) return;
      const seq = this.seq;
      // Synchronously, at `seq`: the outputs in flight now are those of the events up to it.
      const effects = this.outbox.settled();
      const source = this.logic.openSnapshot();
      await this.deps.snapshots.write(
        { task: this.logic.name, seq, worker: this.deps.worker, takenAtMs: started },
        source,
        effects,
        () => !this.abandon && this.deps.owns(),
      );
      this.snapshotSeq = Math.max(this.snapshotSeq, seq);
      this.failures.covered(seq);
      this.deps.metrics.snapshotSeconds.observe((Date.now() - started) / 1000);
    } finally {
      release();
    }
  }

  /** Stops consuming; with `snapshot`, writes a final snapshot so the next owner replays nothing. */
  async stop(opts: { snapshot: boolean }): Promise<void> {
    this.stopping = true;
    // Without a final snapshot (failure, lost lease) a snapshot still streaming is given up.
    if (!opts.snapshot) this.abandon = true;
    if (this.tick) clearInterval(this.tick);
    if (this.watchdog) clearInterval(this.watchdog);
    this.startResolve();
    await this.messages?.close();
    await this.done.catch(() => undefined);
    await this.writing?.catch(() => undefined);
    if (opts.snapshot && !this.outbox.failed && this.seq !== this.snapshotSeq) {
      await this.snapshot().catch((err: unknown) =>
        this.deps.logger.warn({ err, task: this.logic.name }, 'final snapshot failed'),
      );
    }
  }

  get position(): number {
    return this.seq;
  }
}
