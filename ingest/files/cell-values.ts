import { isValidWallTime, wallTimeToRfc3339, type Zone } from './local-time.ts';
import { fieldError } from './record.ts';

/**
 * Typed reading of CSV cells. Timestamps may carry their own offset (kept as the same instant) or be
 * naive (`YYYY-MM-DD[ T]HH:MM[:SS[.fff]]` or a bare date), in which case the mapping's zone applies.
 */
const NAIVE = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?$/;
const WITH_OFFSET = /^(\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)(Z|[+-]\d{2}:\d{2})$/i;

const EXPECTED_TIME =
  'a timestamp YYYY-MM-DD[ HH:MM[:SS]] (zone from the mapping) or RFC 3339 with an offset';

export function timestampCell(text: string, zone: Zone, field: string, endOfDay = false): string {
  const value = text.trim();
  const withOffset = WITH_OFFSET.exec(value);
  if (withOffset) {
    const local = NAIVE.exec((withOffset[1] ?? '').replace(' ', 'T'));
    const wall = local ? wallOf(local) : undefined;
    if (!wall || !isValidWallTime(wall)) throw fieldError('CSV_BAD_TIMESTAMP', field, text, EXPECTED_TIME);
    const offset = (withOffset[2] ?? 'Z').toUpperCase();
    const instant = Date.parse(`${(withOffset[1] ?? '').replace(' ', 'T')}${offset}`);
    if (Number.isNaN(instant)) throw fieldError('CSV_BAD_TIMESTAMP', field, text, EXPECTED_TIME);
    return endOfDay
      ? wallTimeToRfc3339({ ...wall, hour: 23, minute: 59, second: 59, millis: 0 }, zoneOfOffset(offset))
      : `${(withOffset[1] ?? '').replace(' ', 'T')}${offset === 'Z' ? '+00:00' : offset}`;
  }
  const naive = NAIVE.exec(value);
  const wall = naive ? wallOf(naive) : undefined;
  if (!wall || !isValidWallTime(wall)) throw fieldError('CSV_BAD_TIMESTAMP', field, text, EXPECTED_TIME);
  return wallTimeToRfc3339(endOfDay ? { ...wall, hour: 23, minute: 59, second: 59, millis: 0 } : wall, zone);
}

export function numberCell(text: string, field: string, integer = false): number {
  const value = text.trim();
  const n = /^-?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(value) ? Number(value) : Number.NaN;
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n))) {
    throw fieldError('CSV_BAD_NUMBER', field, text, integer ? 'an integer' : 'a decimal number');
  }
  return n;
}

const TRUE = new Set(['true', 'yes', 'y', '1']);
const FALSE = new Set(['false', 'no', 'n', '0']);

export function booleanCell(text: string, field: string): boolean {
  const value = text.trim().toLowerCase();
  if (TRUE.has(value)) return true;
  if (FALSE.has(value)) return false;
  throw fieldError('CSV_BAD_BOOLEAN', field, text, 'true/false, yes/no or 1/0');
}

function wallOf(m: RegExpExecArray) {
  return {
    year: Number(m[1]),
    month: Number(m[2]),
    day: Number(m[3]),
    hour: Number(m[4] ?? 0),
    minute: Number(m[5] ?? 0),
    second: Number(m[6] ?? 0),
    millis: m[7] ? Number(m[7].slice(0, 3).padEnd(3, '0')) : 0,
  };
}

function zoneOfOffset(offset: string): Zone {
  if (offset === 'Z') return { kind: 'offset', minutes: 0 };
  const sign = offset.startsWith('-') ? -1 : 1;
  return { kind: 'offset', minutes: sign * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4, 6))) };
}
