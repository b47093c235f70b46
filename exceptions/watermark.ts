/**
 * Event-time watermark: the latest event time seen minus the allowed lateness. When the feed goes
 * idle for longer than `idleAdvanceMs` of processing time, event time is assumed to move on with the
 * wall clock, so a quiet feed never stalls deadlines.
 */
export class Watermark {
  private maxEventMs = Number.NEGATIVE_INFINITY;
  private lastArrivalMs = 0;
  private forcedMs = Number.NEGATIVE_INFINITY;
  /** Never moves back: an event after an idle advance must not re-open deadlines already fired. */
  private lastMs = Number.NEGATIVE_INFINITY;

  constructor(private readonly opts: { allowedLatenessMs: number; idleAdvanceMs: number }) {}

  observe(eventMs: number, arrivalMs: number): void {
    if (eventMs > this.maxEventMs) this.maxEventMs = eventMs;
    this.lastArrivalMs = arrivalMs;
  }

  /** Moves the watermark to at least `ms` (end of input in replay, `--until`). */
  force(ms: number): void {
    if (ms > this.forcedMs) this.forcedMs = ms;
  }

  current(nowMs: number): number {
    let wm = this.maxEventMs - this.opts.allowedLatenessMs;
    const idleFor = nowMs - this.lastArrivalMs;
    if (Number.isFinite(this.maxEventMs) && idleFor > this.opts.idleAdvanceMs) wm += idleFor;
    this.lastMs = Math.max(this.lastMs, wm, this.forcedMs);
    return this.lastMs;
  }

  /** True when an event is later than the allowed lateness, i.e. behind the watermark. */
  isLate(eventMs: number, nowMs: number): boolean {
    return eventMs < this.current(nowMs);
  }
}
