import { type Exception, type Filters, matches } from './model.ts';

/**
 * The board's incident model (pure): the shapes of `GET /api/incidents`, `GET /api/incidents/:id` and an
 * incident action's answer (exceptions/incidents/schema.ts is the contract), which incidents the board
 * shows under its filters, which members an expanded incident lists, and what an action's outcome says.
 */

export interface Incident {
  readonly id: string;
  readonly type: string;
  readonly title: string;
  readonly status: 'open' | 'resolved';
  readonly severity: Exception['severity'];
  readonly counts: {
    readonly members: number;
    readonly open: number;
    readonly assigned: number;
    readonly resolved: number;
    readonly overBudget: number;
  };
  readonly span: { readonly from: string; readonly to: string };
  readonly customers: {
    readonly tier1: number;
    readonly tier2: number;
    readonly tier3: number;
    readonly total: number;
  };
  readonly warehouseIds: readonly string[];
  readonly carrierIds: readonly string[];
  readonly memberIds: readonly string[];
}

export interface IncidentList {
  readonly items: readonly Incident[];
  readonly total: number;
}

export interface IncidentDetail extends Incident {
  readonly members: readonly Exception[];
  readonly overBudgetIds: readonly string[];
}

export type IncidentAction = 'assign' | 'resolve';

export interface IncidentActionReply {
  readonly counts: {
    readonly done: number;
    readonly conflict: number;
    readonly alreadyResolved: number;
    readonly notFound: number;
  };
}

/** The most incidents the API gives at once. */
export const INCIDENT_LIMIT = 1_000;

/**
 * The incident list's request: the board's status as an incident status (an incident is open while a member
 * is open or assigned), and the filters the API applies to incidents (type, warehouse).
 */
export function incidentQuery(f: Filters): string {
  const status = f.status === 'resolved' ? 'resolved' : f.status === 'all' ? 'all' : 'open';
  const q = new URLSearchParams({ status, limit: String(INCIDENT_LIMIT) });
  if (f.type) q.set('type', f.type);
  if (f.warehouseId) q.set('warehouseId', f.warehouseId);
  return q.toString();
}

/**
 * The incidents the board shows: those with a member on the board (the board's other filters — lane,
 * customer, tier, severity, age — hold for incidents through their members). A board cut at its list
 * limit may lack the members of an incident that belongs on it, so then every listed incident is shown.
 */
export function visibleIncidents(
  items: readonly Incident[],
  onBoard: (id: string) => boolean,
  complete: boolean,
): Incident[] {
  return complete ? items.filter((i) => i.memberIds.some(onBoard)) : [...items];
}

/** Ids of the members of every listed incident: the board lists the other exceptions below them. */
export function groupedIds(items: readonly Incident[]): Set<string> {
  const out = new Set<string>();
  for (const i of items) for (const id of i.memberIds) out.add(id);
  return out;
}

/** The state with the higher version (the board's live one, or the one the incident was read with). */
export function newer(a: Exception | undefined, b: Exception | undefined): Exception | undefined {
  if (!a) return b;
  if (!b) return a;
  return a.version >= b.version ? a : b;
}

export interface MemberSplit {
  /** Members under the board's filters, within their budget. */
  readonly shown: Exception[];
  /** Members under the filters beyond their type's daily budget (folded by default). */
  readonly over: Exception[];
  /** Members the board's filters leave out (resolved ones on an "open or assigned" board, …). */
  readonly hidden: number;
}

/** An expanded incident's members: their latest states, split by the filters and the budget. */
export function splitMembers(
  detail: IncidentDetail,
  latest: (id: string) => Exception | undefined,
  f: Filters,
  nowMs: number,
): MemberSplit {
  const overIds = new Set(detail.overBudgetIds);
  const shown: Exception[] = [];
  const over: Exception[] = [];
  let hidden = 0;
  for (const m of detail.members) {
    const ex = newer(latest(m.id), m) ?? m;
    if (!matches(f, ex, nowMs)) hidden++;
    else (overIds.has(ex.id) ? over : shown).push(ex);
  }
  return { shown, over, hidden };
}

/** The versions the board shows of an incident's members: one that changed since is not overwritten. */
export function expectedVersions(
  memberIds: readonly string[],
  known: (id: string) => Exception | undefined,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const id of memberIds) {
    const ex = known(id);
    if (ex) out[id] = ex.version;
  }
  return out;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString()} ${n === 1 ? one : many}`;

/** "12 assigned, 1 changed meanwhile": what an incident action did to its members. */
export function outcomeText(action: IncidentAction, reply: IncidentActionReply): string {
  const c = reply.counts;
  const parts = [`${c.done.toLocaleString()} ${action === 'assign' ? 'assigned' : 'resolved'}`];
  if (c.conflict) parts.push(`${c.conflict.toLocaleString()} changed meanwhile`);
  if (c.alreadyResolved) parts.push(`${c.alreadyResolved.toLocaleString()} already resolved`);
  if (c.notFound) parts.push(`${c.notFound.toLocaleString()} not found`);
  return parts.join(', ');
}

/** "12 members: 9 open, 3 assigned". */
export function memberText(i: Incident): string {
  const c = i.counts;
  const parts = [`${c.open.toLocaleString()} open`, `${c.assigned.toLocaleString()} assigned`];
  if (c.resolved) parts.push(`${c.resolved.toLocaleString()} resolved`);
  return `${plural(c.members, 'member')}: ${parts.join(', ')}`;
}

/** "3 tier1 · 4 tier2 · 5 tier3 customers": affected customers by tier, the empty tiers left out. */
export function customerText(i: Incident): string {
  const c = i.customers;
  const tiers = (['tier1', 'tier2', 'tier3'] as const).filter((t) => c[t] > 0).map((t) => `${c[t]} ${t}`);
  if (!tiers.length) return c.total ? plural(c.total, 'customer') : 'no customer named';
  return `${tiers.join(' · ')} ${c.total === 1 ? 'customer' : 'customers'}`;
}

/** A DOM id for an incident id (`inc:…` holds a colon). */
export function domId(incidentId: string): string {
  return `inc-${incidentId.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}
