import { decimalAt } from '../core/mod.ts';

/**
 * Epoch ms of an RFC 3339 timestamp already validated by the event schema. Parsing by hand is ~10× faster
 * than Date.parse on the hot path; anything unusual falls back to Date.parse.
 */
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

export function timeMs(text: string): number {
  const fast = utcMs(text);
  if (fast !== undefined) return fast;
  const m = RFC3339.exec(text);
  if (!m) return Date.parse(text);
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  let ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  if (frac) ms += Math.floor(Number(`0.${frac}`) * 1000 + 1e-6);
  if (zone && zone !== 'Z') {
    const sign = zone[0] === '-' ? -1 : 1;
    ms -= sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60_000;
  }
  return ms;
}

/**
 * The usual shape, `YYYY-MM-DDTHH:MM:SS[.mmm]Z` (what toISOString writes), read digit by digit with the
 * same arithmetic as below; undefined for anything else.
 */
function utcMs(t: string): number | undefined {
  const n = t.length;
  if ((n !== 20 && n !== 24) || t.charCodeAt(n - 1) !== 90 /* Z */) return undefined;
  if (t.charCodeAt(4) !== 45 || t.charCodeAt(7) !== 45 || t.charCodeAt(10) !== 84) return undefined;
  if (t.charCodeAt(13) !== 58 || t.charCodeAt(16) !== 58) return undefined;
  const y = decimalAt(t, 0, 4);
  const mo = decimalAt(t, 5, 2);
  const d = decimalAt(t, 8, 2);
  const h = decimalAt(t, 11, 2);
  const mi = decimalAt(t, 14, 2);
  const s = decimalAt(t, 17, 2);
  if ((y | mo | d | h | mi | s) < 0) return undefined;
  let ms = Date.UTC(y, mo - 1, d, h, mi, s);
  if (n === 24) {
    if (t.charCodeAt(19) !== 46 /* . */) return undefined;
    const frac = decimalAt(t, 20, 3);
    if (frac < 0) return undefined;
    ms += frac;
  }
  return ms;
}
