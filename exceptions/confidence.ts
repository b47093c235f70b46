/**
 * Confidence (0..1): how sure Dockside is that an exception reflects a real broken promise rather than a
 * feed artefact. The write-back policy gates on it (`confidence_min`). It is a product of three factors,
 * each computed only from event-time facts, so a replay or a restored worker yields the same value:
 *
 *  - evidence strength: a source reporting the problem itself (a short pick, a rejection, a carrier delay
 *    status, a count variance, a delivery time) is DIRECT; an expected event that did not come is ABSENCE.
 *  - feed coverage (absences): the system that should have reported has reported other facts about the
 *    same subject, or is declared or learned to send the awaited signal at all (exceptions/feeds.ts:
 *    missing_pod only fires for a feed that sends PODs), so its silence means something (FEED_SEEN) — or
 *    neither holds (FEED_UNSEEN: maybe the feed does not cover this subject at all).
 *  - margin: how far past the threshold the fact is; a breach by a minute may be clock skew or rounding.
 *
 * See docs/exceptions.md for the table of factors per type.
 */
export const DIRECT = 0.98;
export const ABSENCE = 0.92;
export const FEED_SEEN = 1;
export const FEED_UNSEEN = 0.88;

/** 0.85 at the threshold, rising to 1 once the excess reaches `scale` (same units). */
export function margin(excess: number, scale: number): number {
  if (!(scale > 0)) return 1;
  return 0.85 + 0.15 * Math.min(1, Math.max(0, excess) / scale);
}

/** For windowed rates: small samples are less certain (0.6 with no data, → 1 as n grows past ~3·k). */
export function sampleSize(n: number, k = 50): number {
  return 0.6 + 0.4 * (1 - Math.exp(-n / k));
}

/** Rounded to 3 decimals so the value is stable across platforms and readable in the board. */
export function confidence(...factors: number[]): number {
  const p = factors.reduce((a, b) => a * b, 1);
  return Math.round(Math.min(1, Math.max(0, p)) * 1000) / 1000;
}
