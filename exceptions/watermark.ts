import { z } from 'zod';

/**
 * Event-time watermarks, one per source (the envelope's `source`), combined per partition.
 *
 * A source's watermark is the latest event time it sent minus the allowed lateness. The partition's
 * watermark is the minimum over the sources that are active (sent something within `idleAdvanceMs` of
 * processing time): a slow feed holds deadlines back rather than having its events judged late, while an
 * idle feed is left out (Flink's source idleness). When every source is idle, event time is assumed to
 * move with the wall clock from the latest event, so a quiet feed never stalls deadlines.
 * The result never moves back: a deadline that fired stays fired.
 */
export const watermarkSnapshotSchema = z.object({
  floor: z.number().nullable(),
  sources: z.array(z.tuple([z.string(), z.number()])),
});
export type WatermarkSnapshot = z.output<typeof watermarkSnapshotSchema>;

interface SourceClock {
  maxEventMs: number;
  lastArrivalMs: number;
}

export interface SourceWatermark {
  readonly source: string;
  readonly watermarkMs: number;
  readonly idle: boolean;
}

export class Watermarks {
  private readonly sources = new Map<string, SourceClock>();
  private floor = Number.NEGATIVE_INFINITY;
  private lastArrivalMs = Number.NEGATIVE_INFINITY;

  constructor(private readonly opts: { allowedLatenessMs: number; idleAdvanceMs: number }) {}

  observe(source: string, eventMs: number, arrivalMs: number): void {
    const s = this.sources.get(source);
    if (!s) this.sources.set(source, { maxEventMs: eventMs, lastArrivalMs: arrivalMs });
    else {
      if (eventMs > s.maxEventMs) s.maxEventMs = eventMs;
      s.lastArrivalMs = arrivalMs;
    }
    this.lastArrivalMs = arrivalMs;
  }

  /** Moves the watermark to at least `ms` (end of input in replay, `--until`). */
  force(ms: number): void {
    if (ms > this.floor) this.floor = ms;
  }

  current(nowMs: number): number {
    const L = this.opts.allowedLatenessMs;
    let activeMin = Number.POSITIVE_INFINITY;
    let anyActive = false;
    let maxAll = Number.NEGATIVE_INFINITY;
    for (const s of this.sources.values()) {
      if (s.maxEventMs > maxAll) maxAll = s.maxEventMs;
      if (nowMs - s.lastArrivalMs <= this.opts.idleAdvanceMs) {
        anyActive = true;
        if (s.maxEventMs < activeMin) activeMin = s.maxEventMs;
      }
    }
    let candidate = Number.NEGATIVE_INFINITY;
    if (anyActive) candidate = activeMin - L;
    else if (this.sources.size > 0) candidate = maxAll - L + (nowMs - this.lastArrivalMs);
    if (candidate > this.floor) this.floor = candidate;
    return this.floor;
  }

  /** Per-source view for the watermark-lag metric. */
  bySource(nowMs: number): SourceWatermark[] {
    return [...this.sources].map(([source, s]) => ({
      source,
      watermarkMs: s.maxEventMs - this.opts.allowedLatenessMs,
      idle: nowMs - s.lastArrivalMs > this.opts.idleAdvanceMs,
    }));
  }

  get hasSources(): boolean {
    return this.sources.size > 0;
  }

  snapshot(): WatermarkSnapshot {
    return {
      floor: Number.isFinite(this.floor) ? this.floor : null,
      sources: [...this.sources].map(([name, s]) => [name, s.maxEventMs]),
    };
  }

  /** Restored sources count as just active: a restarted worker must not idle-advance past what it replays. */
  static restore(
    snap: WatermarkSnapshot,
    opts: { allowedLatenessMs: number; idleAdvanceMs: number },
    nowMs: number,
  ): Watermarks {
    const w = new Watermarks(opts);
    for (const [name, max] of snap.sources) w.sources.set(name, { maxEventMs: max, lastArrivalMs: nowMs });
    if (snap.floor !== null) w.floor = snap.floor;
    if (snap.sources.length > 0) w.lastArrivalMs = nowMs;
    return w;
  }
}
