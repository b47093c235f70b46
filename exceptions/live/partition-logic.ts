import type { JsMsg } from '@nats-io/jetstream';
import { type Metrics, parseEvent, type StreamNames } from '../../core/mod.ts';
import { Detector, type DetectorOptions, type StepOutput } from '../detector.ts';
import { type DetectorSnapshot, detectorSnapshotSchema } from '../snapshot.ts';
import { parseSnapshotRecord } from '../snapshot-cursor.ts';
import type { LateNotice } from './messages.ts';
import type { DetectorNames } from './names.ts';
import type { OutputPublisher } from './outputs.ts';
import type { TaskLogic, TaskOutput } from './runner.ts';
import type { SnapshotSource } from './snapshots.ts';

/** Stage one for partition p: canonical events of `<prefix>.events.<p>.>` through a Detector. */
export class PartitionLogic implements TaskLogic<DetectorSnapshot> {
  readonly name: string;
  readonly stream: string;
  readonly filter: string;
  readonly snapshotSchema = detectorSnapshotSchema;
  detector: Detector | undefined;
  private lastGaugeMs = 0;
  /** Events handled since the counter was last advanced (on ticks: a labelled inc per event is not free). */
  private counted = 0;

  constructor(
    readonly partition: number,
    private readonly opts: Omit<DetectorOptions, 'partition'>,
    names: StreamNames,
    private readonly detectorNames: DetectorNames,
    private readonly publisher: OutputPublisher,
    private readonly metrics: Metrics,
  ) {
    this.name = `events-${partition}`;
    this.stream = names.eventsStream;
    this.filter = names.eventPartitionFilter(partition);
  }

  init(state: DetectorSnapshot | undefined, nowMs: number): void {
    const opts = { ...this.opts, partition: this.partition };
    this.detector = state ? Detector.restore(state, opts, nowMs) : new Detector(opts);
  }

  onMessage(msg: JsMsg, nowMs: number, out: TaskOutput): void {
    const d = this.need();
    const event = parseEvent(JSON.parse(msg.string()));
    const r = d.onEvent(event, nowMs);
    this.counted++;
    // When the event arrived is the stream's timestamp on it; decoding the message info costs more than
    // detecting most events, so it is only read for a latency sample.
    this.publish(r, out, r.emissions.length > 0 ? msg.info.timestampNanos / 1e6 : undefined, false);
    if (r.late) {
      this.metrics.lateEvents.inc();
      const notice: LateNotice = {
        eventId: event.id,
        type: event.type,
        source: event.source ?? '',
        partition: this.partition,
        streamSeq: msg.seq,
        occurredAt: event.occurredAt,
        watermarkAt: new Date(r.watermarkMs).toISOString(),
        arrivedAt: new Date(nowMs).toISOString(),
        subject: subjectOf(event),
      };
      out.outbox.publish(this.detectorNames.lateSubject, JSON.stringify(notice), {
        msgID: `late:${event.id}`,
      });
    }
  }

  onTick(nowMs: number, out: TaskOutput): void {
    const d = this.need();
    if (this.counted > 0) {
      this.metrics.detectorEvents.inc({ task: this.name }, this.counted);
      this.counted = 0;
    }
    this.publish(d.advance(nowMs), out, undefined, true);
    if (nowMs - this.lastGaugeMs >= 1_000) {
      this.lastGaugeMs = nowMs;
      for (const s of d.sourceWatermarks(nowMs)) {
        this.metrics.sourceWatermarkLag.set(
          { partition: String(this.partition), source: s.source || '(none)' },
          Math.max(0, (nowMs - s.watermarkMs) / 1000),
        );
      }
    }
  }

  restoreRecord(record: unknown, nowMs: number): void {
    this.need().restoreRecord(parseSnapshotRecord(record), nowMs);
  }

  openSnapshot(): SnapshotSource {
    return this.need().openSnapshot();
  }

  private publish(
    step: StepOutput,
    out: TaskOutput,
    receivedAtMs: number | undefined,
    fromTimer: boolean,
  ): void {
    if (step.emissions.length) this.publisher.exceptions(out, step.emissions, receivedAtMs, fromTimer);
    if (step.partials.length) this.publisher.partials(out, this.partition, step.partials);
    if (step.punctuation !== undefined) this.publisher.punctuation(out, this.partition, step.punctuation);
  }

  private need(): Detector {
    if (!this.detector) throw new Error(`${this.name}: used before init`);
    return this.detector;
  }
}

function subjectOf(event: { type: string } & Record<string, unknown>): string {
  for (const k of ['shipmentId', 'loadId', 'warehouseId', 'customerId']) {
    const v = event[k];
    if (typeof v === 'string') return v;
  }
  return '';
}
