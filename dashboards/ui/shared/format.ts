/** Formatting shared by the screens: labels, times, durations and numbers (pure; no DOM). */

/** `late_scan` → `Late scan`. */
export function typeLabel(type: string): string {
  const words = type.replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** An ISO time through `format`; the text as given when it does not parse, `empty` when there is none. */
export function isoText(iso: string | null | undefined, format: (ms: number) => string, empty = ''): string {
  if (!iso) return empty;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? iso : format(ms);
}

/** A duration (negative counts as 0) in whole hours, then the minutes and seconds past them. */
export function splitDuration(ms: number): { h: number; m: number; s: number } {
  const total = Math.max(0, Math.floor(ms / 1000));
  return { h: Math.floor(total / 3600), m: Math.floor((total % 3600) / 60), s: total % 60 };
}

/** Two digits: `5` → `05`. */
export const pad2 = (n: number): string => String(n).padStart(2, '0');

/** A number through `format`, or `empty` when there is none (null, undefined, not finite). */
export function numberText(
  v: number | null | undefined,
  format: (v: number) => string,
  empty: string,
): string {
  return v === null || v === undefined || !Number.isFinite(v) ? empty : format(v);
}
