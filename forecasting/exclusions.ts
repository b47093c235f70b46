import { RejectError } from '../core/mod.ts';
import { formatDay, isoWeekLabel, isoWeekMonday, isoWeekStart, parseDay } from './days.ts';

/**
 * Peak or anomaly weeks left out of scoring (the customer's method drops e.g. Black Friday week).
 * Accepted forms: an ISO week `2017-W47`, a date `2017-11-24` (meaning its whole ISO week, Monday to
 * Sunday) or an explicit range of days `2017-11-20..2017-11-26`.
 */
export interface Exclusions {
  /** Normalised labels, e.g. `2017-W47 (2017-11-20..2017-11-26)`. */
  readonly labels: readonly string[];
  readonly excluded: (day: number) => boolean;
}

const EXPECTED = 'an ISO week YYYY-Www, a date YYYY-MM-DD (its ISO week) or a range YYYY-MM-DD..YYYY-MM-DD';

export function parseExclusions(tokens: readonly string[]): Exclusions {
  const days = new Set<number>();
  const labels: string[] = [];
  for (const token of tokens
    .flatMap((t) => t.split(','))
    .map((t) => t.trim())
    .filter(Boolean)) {
    const [from, to] = rangeOf(token);
    for (let d = from; d <= to; d++) days.add(d);
    const label = `${formatDay(from)}..${formatDay(to)}`;
    labels.push(
      /^\d{4}-W\d{2}$/.test(token) || parseDay(token) !== undefined
        ? `${isoWeekLabel(from)} (${label})`
        : label,
    );
  }
  return { labels, excluded: (day) => days.has(day) };
}

function rangeOf(token: string): [number, number] {
  const week = /^(\d{4})-W(\d{2})$/.exec(token);
  if (week) {
    const monday = isoWeekMonday(Number(week[1]), Number(week[2]));
    if (monday === undefined) throw bad(token);
    return [monday, monday + 6];
  }
  const range = /^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$/.exec(token);
  if (range) {
    const from = parseDay(range[1] ?? '');
    const to = parseDay(range[2] ?? '');
    if (from === undefined || to === undefined || to < from || to - from > 366) throw bad(token);
    return [from, to];
  }
  const day = parseDay(token);
  if (day === undefined) throw bad(token);
  const monday = isoWeekStart(day);
  return [monday, monday + 6];
}

function bad(token: string): RejectError {
  return new RejectError(
    'EXCLUDE_WEEKS_INVALID',
    `exclude-weeks: got ${JSON.stringify(token)}, expected ${EXPECTED}`,
    [{ field: 'exclude-weeks', value: token, expected: EXPECTED }],
  );
}
