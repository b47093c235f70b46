import type { JsMsg } from '@nats-io/jetstream';
import { DeadLetterError, type Metrics, type Policy } from '../../core/mod.ts';
import {
  AggregateDetector,
  type AggregateSnapshot,
  aggregateSnapshotSchema,
} from '../aggregates/aggregate-detector.ts';
import { aggMessageSchema } from './messages.ts';
import type { DetectorNames } from './names.ts';
import type { OutputPublisher } from './outputs.ts';
import type { TaskLogic, TaskOutput } from './runner.ts';
import type { SnapshotSource } from './snapshots.ts';

/** Stage two for aggregate partition q: partials and punctuations from `<prefix>.detector.agg.<q>`. */
export class AggregateLogic implements TaskLogic<AggregateSnapshot> {
  readonly name: string;
  readonly stream: string;
  readonly filter: string;
  readonly snapshotSchema = aggregateSnapshotSchema;
  private agg: AggregateDetector | undefined;

  constructor(
    readonly partition: number,
    private readonly opts: { policy: Policy; partitions: number; retentionMs: number },
    names: DetectorNames,
    private readonly publisher: OutputPublisher,
    private readonly metrics: Metrics,
  ) {
    this.name = `agg-${partition}`;
    this.stream = names.stream;
    this.filter = names.aggSubject(partition);
  }

  init(state: AggregateSnapshot | undefined): void {
    this.agg = state ? AggregateDetector.restore(state, this.opts) : new AggregateDetector(this.opts);
  }

  onMessage(msg: JsMsg, nowMs: number, out: TaskOutput): void {
    const agg = this.agg;
    if (!agg) throw new Error(`${this.name}: used before init`);
    const parsed = aggMessageSchema.safeParse(JSON.parse(msg.string()));
    if (!parsed.success) {
      throw new DeadLetterError('AGG_MESSAGE_INVALID', `${this.name}: ${parsed.error.message}`, {
        cause: parsed.error,
      });
    }
    const m = parsed.data;
    this.metrics.detectorEvents.inc({ task: this.name });
    const emissions =
      m.t === 'partials'
        ? m.items.flatMap((p) => agg.onPartial(p, nowMs))
        : agg.onPunctuation(m.from, m.wm, nowMs);
    if (emissions.length) this.publisher.exceptions(out, emissions, undefined, false);
  }

  onTick(): void {}

  /** Format 2 for this task: a single record, its whole (small) state. */
  restoreRecord(record: unknown): void {
    const state = aggregateSnapshotSchema.parse(record);
    this.agg = AggregateDetector.restore(state, this.opts);
  }

  openSnapshot(): SnapshotSource {
    if (!this.agg) throw new Error(`${this.name}: used before init`);
    let text: string | undefined = `${JSON.stringify(this.agg.snapshot())}\n`;
    return {
      next: () => {
        const t = text;
        text = undefined;
        return t;
      },
      close: () => undefined,
    };
  }
}
