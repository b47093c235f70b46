import { DeliverPolicy, type JetStreamClient, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import type { z } from 'zod';
import {
  type Config,
  DocksideError,
  type Logger,
  type Metrics,
  publishDeadLetter,
  type StreamNames,
} from '../../core/mod.ts';
import type { Gate } from './gate.ts';
import { publishedSince } from './journal.ts';
import { Outbox } from './outbox.ts';
import { SnapshotCorruptError, type SnapshotStore, type Stored } from './snapshots.ts';

/** One task's pure processing, plugged into the runner (stage one per partition, stage two per partition). */
export interface TaskLogic<S> {
  readonly name: string;
  readonly stream: string;
  readonly filter: string;
  readonly snapshotSchema: z.ZodType<S>;
  /** Builds the processor from a restored snapshot (or empty). */
  init(state: S | undefined, nowMs: number): void;
  /** Handles one message synchronously, sending outputs through `out`. Throws DocksideError to dead-letter. */
  onMessage(msg: JsMsg, nowMs: number, out: TaskOutput): void;
  /** Fires due deadlines (processing-time tick or after a batch). */
  onTick(nowMs: number, out: TaskOutput): void;
  snapshot(): S;
}

/** Where a task's outputs go; `suppressed` are message ids already published before a restore (journal). */
export interface TaskOutput {
  readonly outbox: Outbox;
  readonly suppressed: ReadonlySet<string>;
}

export interface RunnerDeps {
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly names: StreamNames;
  readonly snapshots: SnapshotStore;
  readonly config: Pick<Config, 'snapshotIntervalMs' | 'dedupeWindowMs' | 'timerTickMs'>;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly worker: string;
  /** False once the partition's lease is lost: no more snapshots from this (zombie) owner. */
  readonly owns: () => boolean;
  readonly snapshotGate: Gate;
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
  private paused = false;
  private stopping = false;
  private messages: { close(): Promise<unknown> } | undefined;
  private tick: NodeJS.Timeout | undefined;
  private lastSnapshotMs = 0;
  private snapshotSeq = -1;
  private storing: Promise<void> = Promise.resolve();
  private suppressed: ReadonlySet<string> = new Set();
  private caughtUpResolve: (() => void) | undefined;
  /** Resolves once the task has read everything its input held when it started. */
  readonly caughtUp: Promise<void>;
  readonly done: Promise<void>;
  private startResolve!: () => void;

  constructor(
    private readonly logic: TaskLogic<S>,
    private readonly deps: RunnerDeps,
  ) {
    this.outbox = new Outbox(deps.js);
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
    let stored: Stored<S> | undefined;
    // Restores take turns too: reading, parsing and validating a snapshot briefly holds it twice in memory.
    const release = await deps.snapshotGate.acquire();
    try {
      stored = await deps.snapshots.get(logic.name, logic.snapshotSchema);
    } catch (err) {
      if (!(err instanceof SnapshotCorruptError)) throw err;
      // Replaying from the start is always correct (the detector is deterministic); only slower.
      deps.logger.error(
        { err, task: logic.name },
        'snapshot unusable; replaying the task input from its start',
      );
    } finally {
      release();
    }
    const now = Date.now();
    logic.init(stored?.state, now);
    this.seq = stored?.seq ?? 0;
    this.snapshotSeq = this.seq;
    this.lastSnapshotMs = now;
    deps.metrics.detectorRestores.inc({ from: stored ? 'snapshot' : 'empty' });
    // Within the duplicate window JetStream drops re-published ids itself; beyond it, read what we published.
    const since = stored ? stored.takenAtMs : 0;
    if (now - since > deps.config.dedupeWindowMs / 2) {
      this.suppressed = await publishedSince(
        deps.js,
        deps.jsm,
        deps.names.exceptionsStream,
        logic.name,
        since - 60_000,
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
    const messages = await consumer.consume({ max_messages: 2_000 });
    this.messages = messages;
    this.tick = setInterval(() => this.onTick(), deps.config.timerTickMs);
    const out: TaskOutput = { outbox: this.outbox, suppressed: this.suppressed };
    let n = 0;
    for await (const msg of messages) {
      if (this.stopping) break;
      this.handle(msg, out);
      this.seq = msg.seq;
      n++;
      const idle = msg.info.pending === 0;
      if (idle || (n & 255) === 0) {
        logic.onTick(Date.now(), out);
        // Buffered messages resolve without touching the event loop: let lease renewals and acks through.
        await new Promise<void>((r) => setImmediate(r));
      }
      if (idle) this.caughtUpResolve?.();
      if (this.outbox.failed) throw this.outbox.failed;
      if (this.outbox.size > MAX_IN_FLIGHT) await this.outbox.throttle(MAX_IN_FLIGHT / 2);
      if (Date.now() - this.lastSnapshotMs >= deps.config.snapshotIntervalMs) await this.snapshot();
    }
    if (this.outbox.failed) throw this.outbox.failed;
  }

  private handle(msg: JsMsg, out: TaskOutput): void {
    try {
      this.logic.onMessage(msg, Date.now(), out);
    } catch (err) {
      if (err instanceof SyntaxError || (err instanceof DocksideError && err.action !== 'retry')) {
        const code = err instanceof DocksideError ? err.code : 'EVENT_NOT_JSON';
        this.outbox.track(
          publishDeadLetter(this.deps.js, this.deps.names, {
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
      throw err;
    }
  }

  private onTick(): void {
    if (this.paused || this.stopping) return;
    try {
      this.logic.onTick(Date.now(), { outbox: this.outbox, suppressed: this.suppressed });
    } catch (err) {
      this.deps.logger.error({ err, task: this.logic.name }, 'detector tick failed');
    }
    if (Date.now() - this.lastSnapshotMs >= this.deps.config.snapshotIntervalMs * 3 && !this.paused) {
      // An idle input never reaches the per-message check: snapshot from the tick too.
      void this.snapshot().catch((err: unknown) =>
        this.deps.logger.error({ err, task: this.logic.name }, 'snapshot failed'),
      );
    }
  }

  /** Pauses processing, waits until every output is stored, serializes (state ↔ seq), stores in the background. */
  async snapshot(): Promise<void> {
    if (this.paused) return;
    this.paused = true;
    try {
      const started = Date.now();
      await this.outbox.drain();
      await this.storing;
      const release = await this.deps.snapshotGate.acquire();
      this.lastSnapshotMs = Date.now();
      if (!this.deps.owns()) {
        release();
        return;
      }
      const s = this.deps.snapshots.serialize(
        this.logic.name,
        this.seq,
        this.deps.worker,
        this.logic.snapshot(),
      );
      this.snapshotSeq = this.seq;
      this.storing = s
        .stored()
        .then(() => {
          this.deps.metrics.snapshotSeconds.observe((Date.now() - started) / 1000);
        })
        .finally(release);
      this.storing.catch((err: unknown) =>
        this.deps.logger.error({ err, task: this.logic.name }, 'snapshot store failed'),
      );
    } finally {
      this.paused = false;
    }
  }

  /** Stops consuming; with `snapshot`, writes a final snapshot so the next owner replays nothing. */
  async stop(opts: { snapshot: boolean }): Promise<void> {
    this.stopping = true;
    if (this.tick) clearInterval(this.tick);
    this.startResolve();
    await this.messages?.close();
    await this.done.catch(() => undefined);
    if (opts.snapshot && !this.outbox.failed && this.seq !== this.snapshotSeq) {
      this.paused = false;
      await this.snapshot().catch((err: unknown) =>
        this.deps.logger.warn({ err, task: this.logic.name }, 'final snapshot failed'),
      );
    }
    await this.storing.catch(() => undefined);
  }

  get position(): number {
    return this.seq;
  }
}
