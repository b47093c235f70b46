import { DeliverPolicy, type JetStreamClient, type JsMsg } from '@nats-io/jetstream';
import {
  type DeadLetters,
  type DetectedException,
  exceptionSchema,
  type Logger,
  type StreamNames,
} from '../../core/mod.ts';
import { AuditBlockTooLargeError } from '../audit/errors.ts';
import { type Decision, decide, outcomeKey } from '../decide.ts';
import type { WritebackMetrics } from '../metrics.ts';
import { decisionEntry } from './decision-entry.ts';
import type { Directory, LogInput, PolicySource } from './ports.ts';

/** The decider's own chain: only the partition's lease holder appends; every block carries its input cursor. */
export interface DecisionChain {
  /** The exceptions-stream sequence the last stored block covers (0 when the chain is empty). */
  cursor(): Promise<number>;
  /** Appends one block; throws when another writer appended meanwhile (the lease moved: stop). */
  append(entries: readonly LogInput[], cursor: number): Promise<void>;
}

export interface ShadowDiff {
  readonly exceptionId: string;
  readonly exceptionVersion: number;
  readonly exceptionType: string;
  readonly customerId?: string;
  readonly at: string;
  readonly activeVersion: string;
  readonly shadowVersion: string;
  readonly active: Decision;
  readonly shadow: Decision;
}

function shadowDiff(
  ex: DetectedException,
  d: Decision,
  s: Decision,
  activeVersion: string,
  shadowVersion: string,
): ShadowDiff {
  return {
    exceptionId: ex.id,
    exceptionVersion: ex.version,
    exceptionType: ex.type,
    ...(ex.customerId ? { customerId: ex.customerId } : {}),
    at: new Date().toISOString(),
    activeVersion,
    shadowVersion,
    active: d,
    shadow: s,
  };
}

export interface DeciderDeps {
  readonly js: JetStreamClient;
  readonly names: StreamNames;
  readonly deadLetters: DeadLetters;
  readonly chain: DecisionChain;
  readonly policy: PolicySource;
  readonly shadow?: PolicySource | undefined;
  readonly directory: Directory;
  readonly publishShadow: (diffs: readonly ShadowDiff[], partition: number) => Promise<void>;
  readonly metrics: WritebackMetrics;
  readonly logger: Logger;
}

/**
 * Decisions per block. A block and its cursor are stored atomically, so a block must fit one message (the
 * appender refuses one over ~900 KiB): an acting decision's entry is ~2 KB, a held one a few hundred bytes;
 * an unusually large one (huge exception details) halves the block until it fits.
 */
const MAX_BLOCK = 250;

/**
 * One write-back partition: reads its share of the exceptions stream in order from the cursor of its last
 * logged block, decides every exception state, and appends the decisions as one block (group commit: what
 * arrived while the previous append was in flight goes into the next). Exactly once: the block and its
 * cursor are stored atomically, so a restart resumes right after the last stored decision; a zombie owner is
 * fenced by the chain's expected-last-sequence check.
 */
export class DeciderTask {
  private messages: { close(): Promise<unknown> } | undefined;
  private stopping = false;
  readonly done: Promise<void>;
  private startGate!: () => void;

  constructor(
    readonly partition: number,
    private readonly deps: DeciderDeps,
  ) {
    const started = new Promise<void>((r) => {
      this.startGate = r;
    });
    this.done = started.then(() => this.run());
  }

  start(): this {
    this.startGate();
    return this;
  }

  private async run(): Promise<void> {
    const { js, names } = this.deps;
    const cursor = await this.deps.chain.cursor();
    if (this.stopping) return;
    const consumer = await js.consumers.get(names.exceptionsStream, {
      filter_subjects: names.exceptionPartitionFilter(this.partition),
      ...(cursor > 0
        ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: cursor + 1 }
        : { deliver_policy: DeliverPolicy.All }),
    });
    const messages = await consumer.consume({ max_messages: 1_000 });
    this.messages = messages;
    let batch: JsMsg[] = [];
    for await (const msg of messages) {
      if (this.stopping) break;
      batch.push(msg);
      // Flush when nothing else is buffered here or waiting on the server (group commit), or the block is full.
      if (msg.info.pending === 0 || messages.getPending() <= 1 || batch.length >= MAX_BLOCK) {
        await this.flush(batch);
        batch = [];
      }
    }
  }

  private async flush(batch: readonly JsMsg[]): Promise<void> {
    const active = this.deps.policy();
    const shadow = this.deps.shadow?.();
    const entries: LogInput[] = [];
    const seqs: number[] = [];
    const diffs: ShadowDiff[] = [];
    const counts = new Map<string, number>();
    for (const msg of batch) {
      const ex = await this.parse(msg);
      if (!ex) continue;
      const customer = ex.customerId ? this.deps.directory.get(ex.customerId) : undefined;
      const d = decide(ex, active, customer);
      entries.push(decisionEntry(d, ex));
      seqs.push(msg.seq);
      const key = `${d.outcome}\u0000${d.reasonCode}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
      if (shadow) {
        const s = decide(ex, shadow, customer);
        if (outcomeKey(s) !== outcomeKey(d)) diffs.push(shadowDiff(ex, d, s, active.version, shadow.version));
      }
    }
    const last = batch.at(-1);
    if (last && entries.length > 0) await this.append(entries, last.seq, seqs);
    for (const [key, n] of counts) {
      const [outcome, reason] = key.split('\u0000');
      this.deps.metrics.decisions.inc({ outcome, reason }, n);
    }
    if (diffs.length > 0) {
      await this.deps.publishShadow(diffs, this.partition);
      this.deps.metrics.shadowDifferences.inc(diffs.length);
    }
  }

  /** Appends; a block too large for one message is halved (the first half's cursor is its last entry's). */
  private async append(
    entries: readonly LogInput[],
    cursor: number,
    cursors?: readonly number[],
  ): Promise<void> {
    try {
      await this.deps.chain.append(entries, cursor);
    } catch (err) {
      if (!(err instanceof AuditBlockTooLargeError) || entries.length < 2 || !cursors) throw err;
      const mid = entries.length >> 1;
      await this.append(entries.slice(0, mid), cursors[mid - 1] as number, cursors.slice(0, mid));
      await this.append(entries.slice(mid), cursor, cursors.slice(mid));
    }
  }

  /** A message that is not an exception is parked in the dead-letter stream with its reason, and skipped. */
  private async parse(msg: JsMsg): Promise<DetectedException | undefined> {
    let data: unknown;
    try {
      data = msg.json();
    } catch {
      data = undefined;
    }
    const r = exceptionSchema.safeParse(data);
    if (r.success) return r.data;
    await this.deps.deadLetters({
      source: 'writeback',
      position: `${this.deps.names.exceptionsStream}#${msg.seq}`,
      code: 'EXCEPTION_INVALID',
      reason: r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
      raw: msg.string(),
    });
    return undefined;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.startGate();
    await this.messages?.close();
    await this.done.catch(() => undefined);
  }
}
