import { isExceptionType, type Policy } from '../../core/mod.ts';
import { defaultGroupOptions, HOUR_MS } from './group.ts';

const DAY_MS = 24 * HOUR_MS;
const MINUTE_MS = 60_000;

/** Everything the incident view needs from the policy (validated there: core/policy.ts). */
export interface IncidentOptions {
  readonly gapMs: number;
  readonly minMembers: number;
  readonly burstMs: number;
  readonly maxSpanMs: number;
  /** Days of occurredAt the view covers, back from the latest exception. Default 7. */
  readonly windowDays: number;
  /** `thresholds.<type>.max_per_subject_per_day`, per type that sets one. */
  readonly caps: Readonly<Record<string, number>>;
}

export const DEFAULT_WINDOW_DAYS = 7;

/** The policy's `incidents:` section and budget caps over the defaults. */
export function incidentOptions(policy: Policy): IncidentOptions {
  const s = policy.incidents;
  const caps: Record<string, number> = {};
  for (const [type, t] of Object.entries(policy.thresholds)) {
    const cap = (t as Record<string, unknown> | undefined)?.max_per_subject_per_day;
    if (isExceptionType(type) && typeof cap === 'number') caps[type] = cap;
  }
  return {
    gapMs: s?.gap_minutes !== undefined ? s.gap_minutes * MINUTE_MS : defaultGroupOptions.gapMs,
    minMembers: s?.min_members ?? defaultGroupOptions.minMembers,
    burstMs: s?.burst_minutes !== undefined ? s.burst_minutes * MINUTE_MS : defaultGroupOptions.burstMs,
    maxSpanMs: s?.max_span_hours !== undefined ? s.max_span_hours * HOUR_MS : defaultGroupOptions.maxSpanMs,
    windowDays: s?.window_days ?? DEFAULT_WINDOW_DAYS,
    caps,
  };
}

/**
 * Where the window starts: `windowDays` before the anchor, down to the start of that UTC day (so every
 * budget day in it is whole). The anchor is the latest occurredAt (a replay, an imported history) or now
 * when that is later than now (a future-dated exception does not empty the window).
 */
export function windowStartMs(latestOccurredMs: number, windowDays: number, nowMs?: number): number {
  const anchor = nowMs === undefined ? latestOccurredMs : Math.min(nowMs, latestOccurredMs);
  const start = anchor - windowDays * DAY_MS;
  return start - (((start % DAY_MS) + DAY_MS) % DAY_MS);
}
