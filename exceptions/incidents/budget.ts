import { type IncidentMember, latestStates } from './group.ts';
import type { BudgetCell } from './schema.ts';

/**
 * The alert budget: `thresholds.<type>.max_per_subject_per_day` caps how many exceptions of one type one
 * subject (its warehouse, else its customer) raises per UTC event day (occurredAt). Nothing is dropped:
 * every exception is detected, stored and listed; the ones beyond the cap, ranked by (occurredAt, id) so
 * the choice is deterministic, are marked over budget and counted, and the board may fold them. Every
 * state counts (a resolved exception was still raised). Exceptions with neither warehouse nor customer are
 * not budgeted. Pure.
 */

const OVER_IDS_CAP = 100;

export interface BudgetResult {
  /** Every exception id over its budget. */
  readonly over: ReadonlySet<string>;
  /** The (type, subject, day) cells above their cap, in (type, subject kind, subject, day) order. */
  readonly cells: BudgetCell[];
}

export function alertBudget(
  states: Iterable<IncidentMember>,
  caps: Readonly<Record<string, number>>,
): BudgetResult {
  const over = new Set<string>();
  if (Object.keys(caps).length === 0) return { over, cells: [] };
  // latestStates sorts by (occurredAt, id): each cell fills in rank order.
  const cells = new Map<string, { cell: Omit<BudgetCell, 'raised' | 'over' | 'overIds'>; ids: string[] }>();
  for (const m of latestStates(states)) {
    const cap = caps[m.type];
    if (cap === undefined) continue;
    const subject = m.warehouseId
      ? { subjectKind: 'warehouse' as const, subject: m.warehouseId }
      : m.customerId
        ? { subjectKind: 'customer' as const, subject: m.customerId }
        : undefined;
    if (!subject) continue;
    const day = new Date(Date.parse(m.occurredAt)).toISOString().slice(0, 10);
    const key = [m.type, subject.subjectKind, subject.subject, day].join('\u001f');
    const entry = cells.get(key) ?? { cell: { type: m.type, ...subject, day, cap }, ids: [] };
    cells.set(key, entry);
    entry.ids.push(m.id);
  }
  const out: BudgetCell[] = [];
  for (const key of [...cells.keys()].sort()) {
    const { cell, ids } = cells.get(key) as {
      cell: Omit<BudgetCell, 'raised' | 'over' | 'overIds'>;
      ids: string[];
    };
    if (ids.length <= cell.cap) continue;
    const beyond = ids.slice(cell.cap);
    for (const id of beyond) over.add(id);
    out.push({ ...cell, raised: ids.length, over: beyond.length, overIds: beyond.slice(0, OVER_IDS_CAP) });
  }
  return { over, cells: out };
}
