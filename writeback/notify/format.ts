/**
 * How times and values read in messages people get. Always UTC (the reader's time zone is unknown), and the
 * year only when it differs from the reference year, so "14:00 UTC on 3 Dec" stays short.
 */
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function parts(iso: string) {
  const d = new Date(iso);
  return {
    ok: !Number.isNaN(d.getTime()),
    year: d.getUTCFullYear(),
    day: `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]}`,
    hm: `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`,
  };
}

const yearOf = (iso: string | undefined) => (iso ? new Date(iso).getUTCFullYear() : undefined);

/** `3 Dec` (or `3 Dec 2027` when `reference` is in another year). */
export function fmtDate(iso: string, reference?: string): string {
  const p = parts(iso);
  if (!p.ok) return iso;
  return p.year === yearOf(reference) ? p.day : `${p.day} ${p.year}`;
}

/** `14:00 UTC on 3 Dec` (with the year when `reference` is in another year, or absent). */
export function fmtTime(iso: string, reference?: string): string {
  const p = parts(iso);
  if (!p.ok) return iso;
  return `${p.hm} UTC on ${fmtDate(iso, reference)}`;
}

/** `14:00 UTC`: a short time for subject lines. */
export function fmtClock(iso: string): string {
  const p = parts(iso);
  return p.ok ? `${p.hm} UTC` : iso;
}

/** `late_scan` → `late scan`. */
export function typeLabel(type: string): string {
  return type.replace(/_/g, ' ');
}

export type FieldValue = string | number | boolean | null;

export function fmtValue(v: FieldValue | undefined): string {
  if (v === undefined) return '(unknown)';
  if (v === null || v === '') return '(empty)';
  return String(v);
}
