import { alertBudget, type BudgetResult } from './budget.ts';
import { groupIncidents, type IncidentMember, latestStates } from './group.ts';
import { type IncidentOptions, windowStartMs } from './options.ts';
import type { BudgetCell, Incident } from './schema.ts';

/** The incidents of a set of exception states, with the budget marks: what the API serves. Pure. */
export interface IncidentSnapshot {
  /** Newest span end first. */
  readonly incidents: readonly Incident[];
  readonly byId: ReadonlyMap<string, Incident>;
  readonly budget: readonly BudgetCell[];
  readonly overBudget: BudgetResult['over'];
  /** Exceptions in the window. */
  readonly exceptions: number;
  /** occurredAt window: from the start of the day `windowDays` back, to the latest exception. */
  readonly window: { readonly from: string; readonly to: string | null };
}

/**
 * Latest state per id → the window → budget marks → incidents. `nowMs` is the live view's clock (a
 * future-dated exception then does not move the window); a replay leaves it out.
 */
export function computeIncidents(
  states: Iterable<IncidentMember>,
  opts: IncidentOptions,
  nowMs?: number,
): IncidentSnapshot {
  const latest = latestStates(states);
  const last = latest[latest.length - 1];
  const lastMs = last ? Date.parse(last.occurredAt) : undefined;
  const fromMs = lastMs === undefined ? (nowMs ?? 0) : windowStartMs(lastMs, opts.windowDays, nowMs);
  const inWindow = latest.filter((m) => Date.parse(m.occurredAt) >= fromMs);
  const budget = alertBudget(inWindow, opts.caps);
  const incidents = groupIncidents(inWindow, {
    gapMs: opts.gapMs,
    minMembers: opts.minMembers,
    burstMs: opts.burstMs,
    maxSpanMs: opts.maxSpanMs,
    overBudget: budget.over,
  });
  return {
    incidents,
    byId: new Map(incidents.map((i) => [i.id, i])),
    budget: budget.cells,
    overBudget: budget.over,
    exceptions: inWindow.length,
    window: {
      from: new Date(fromMs).toISOString(),
      to: lastMs === undefined ? null : new Date(lastMs).toISOString(),
    },
  };
}
