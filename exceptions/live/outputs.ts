import { headers } from '@nats-io/transport-node';
import type { DetectedException, Metrics, StreamNames } from '../../core/mod.ts';
import { aggregateKey, type PartialOut } from '../aggregates/windows.ts';
import { TASK_HEADER } from './journal.ts';
import type { AggMessage } from './messages.ts';
import type { DetectorNames } from './names.ts';
import type { TaskOutput } from './runner.ts';

/** What the bench and tests may observe about each exception state JetStream stored. */
export interface PublishedInfo {
  readonly task: string;
  /** Ingest arrival time of the triggering event (event-triggered), for detection latency. */
  readonly receivedAtMs?: number;
  /** True when a timer (deadline) produced it: absence lag = ack time − deadline. */
  readonly fromTimer: boolean;
  readonly ackMs: number;
  readonly duplicate: boolean;
}
export type OnPublished = (ex: DetectedException, info: PublishedInfo) => void;

const PARTIALS_PER_MESSAGE = 500;
const HOUR = 3_600_000;

export class OutputPublisher {
  constructor(
    private readonly task: string,
    private readonly names: StreamNames,
    private readonly detector: DetectorNames,
    private readonly metrics: Metrics,
    private readonly partitions: number,
    private readonly partitionOf: (key: string, n: number) => number,
    private readonly onPublished?: OnPublished,
  ) {}

  /** Nats-Msg-Id = id + version: a re-derived state after a restore is dropped by JetStream. */
  exceptions(
    out: TaskOutput,
    list: readonly DetectedException[],
    receivedAtMs: number | undefined,
    fromTimer: boolean,
  ): void {
    for (const ex of list) {
      const msgID = `${ex.id}:v${ex.version}`;
      if (out.suppressed.has(msgID)) continue;
      const h = headers();
      h.set(TASK_HEADER, this.task);
      out.outbox.publish(
        this.names.exceptionSubject(this.partitionOf(ex.id, this.partitions), ex.type),
        JSON.stringify(ex),
        { msgID, headers: h },
        (duplicate) => {
          const ackMs = Date.now();
          this.metrics.exceptions.inc({ type: ex.type, status: ex.status });
          if (receivedAtMs !== undefined)
            this.metrics.detectionLatency.observe((ackMs - receivedAtMs) / 1000);
          else if (fromTimer && ex.status === 'open') {
            const lag = ackMs - Date.parse(ex.occurredAt);
            // Only live deadlines: replaying history would report months of "lag".
            if (lag >= 0 && lag < HOUR) this.metrics.absenceLag.observe(lag / 1000);
          }
          this.onPublished?.(ex, {
            task: this.task,
            ...(receivedAtMs !== undefined ? { receivedAtMs } : {}),
            fromTimer,
            ackMs,
            duplicate,
          });
        },
      );
    }
  }

  /** Partials go to the aggregate task owning their key, in chunks; ids hash the content (replays dedupe). */
  partials(out: TaskOutput, from: number, list: readonly PartialOut[]): void {
    if (list.length === 0) return;
    const byTarget = new Map<number, PartialOut[]>();
    for (const p of list) {
      const q = this.partitionOf(aggregateKey(p.kind, p.key), this.partitions);
      const arr = byTarget.get(q);
      if (arr) arr.push(p);
      else byTarget.set(q, [p]);
    }
    for (const [q, items] of byTarget) {
      for (let i = 0; i < items.length; i += PARTIALS_PER_MESSAGE) {
        const msg: AggMessage = { t: 'partials', from, items: items.slice(i, i + PARTIALS_PER_MESSAGE) };
        const data = JSON.stringify(msg);
        out.outbox.publish(this.detector.aggSubject(q), data, { msgID: `agg:${from}:${q}:${fnv(data)}` });
      }
    }
  }

  punctuation(out: TaskOutput, from: number, wm: number | null): void {
    for (let q = 0; q < this.partitions; q++) {
      const msg: AggMessage = { t: 'wm', from, wm };
      out.outbox.publish(this.detector.aggSubject(q), JSON.stringify(msg), {
        msgID: `wm:${from}:${q}:${wm ?? 'idle'}`,
      });
    }
  }
}

function fnv(text: string): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
  }
  return `${(h1 >>> 0).toString(16)}${(h2 >>> 0).toString(16)}`;
}
