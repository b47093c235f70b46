import { createHash } from 'node:crypto';
import { type DetectedException, severities } from '../../core/mod.ts';
import { type Cause, type CauseKind, causeKinds, type Incident } from './schema.ts';

/**
 * Incidents: exceptions of one type that share a probable cause and are close in event time. Pure and a
 * function of the SET of exception states (the latest version per id), so the live view and a replay give
 * the same incidents whatever order the states arrived in.
 *
 * Causes are tried most specific first — warehouse+carrier, carrier, warehouse, lane, customer. For each,
 * the exceptions not yet in an incident are bucketed by (type, cause key) and sorted by (occurredAt, id).
 * An incident is a burst, not a background: a member is *dense* when some `burstMs` of event time holds it
 * and at least `minMembers - 1` others of its bucket. Dense members chain into one incident while
 * neighbours are at most `gapMs` apart (and the whole spans at most `maxSpanMs`, so a chronic problem
 * becomes one incident a day rather than one forever); the bucket's other members inside that span join
 * it. So a carrier's bad afternoon (a dozen late scans an hour) is one incident, while the same pair's
 * one-an-hour background before and after it stays out. Members of an incident leave the pool. Buckets of
 * one cause are disjoint, so the order they are visited in changes nothing.
 */

/** What grouping reads of an exception (the view reads only these columns). */
export type IncidentMember = Pick<
  DetectedException,
  | 'id'
  | 'type'
  | 'status'
  | 'severity'
  | 'occurredAt'
  | 'version'
  | 'warehouseId'
  | 'carrierId'
  | 'lane'
  | 'customerId'
  | 'customerTier'
>;

export interface GroupOptions {
  /** Two dense neighbours further apart than this (event time) are in different incidents. Default 2 h. */
  readonly gapMs: number;
  /** The smallest incident, and how many must fall within `burstMs` to make a burst. Default 5. */
  readonly minMembers: number;
  /** The event time `minMembers` must fall within for their members to be dense. Default 1 h. */
  readonly burstMs: number;
  /** The longest span of one incident; a longer run is cut into consecutive ones. Default 24 h. */
  readonly maxSpanMs: number;
  /** Ids of exceptions over their daily budget (counted per incident). */
  readonly overBudget?: ReadonlySet<string>;
}

export const HOUR_MS = 3_600_000;
export const defaultGroupOptions: GroupOptions = {
  gapMs: 2 * HOUR_MS,
  minMembers: 5,
  burstMs: HOUR_MS,
  maxSpanMs: 24 * HOUR_MS,
};

const CUSTOMER_IDS_CAP = 100;

interface Item {
  readonly m: IncidentMember;
  readonly t: number;
}

/** (occurredAt, id): the one order every step uses. */
const byTimeThenId = (a: Item, b: Item) => a.t - b.t || (a.m.id < b.m.id ? -1 : a.m.id > b.m.id ? 1 : 0);

/** The latest state per id (highest version), in (occurredAt, id) order. */
export function latestStates<M extends IncidentMember>(states: Iterable<M>): M[] {
  const latest = new Map<string, M>();
  for (const s of states) {
    const prev = latest.get(s.id);
    if (!prev || prev.version < s.version) latest.set(s.id, s);
  }
  return [...latest.values()]
    .map((m) => ({ m, t: Date.parse(m.occurredAt) }))
    .sort(byTimeThenId)
    .map((x) => x.m);
}

function causeKey(kind: CauseKind, m: IncidentMember): string | undefined {
  switch (kind) {
    case 'warehouse_carrier':
      return m.warehouseId && m.carrierId ? `${m.warehouseId}\u001f${m.carrierId}` : undefined;
    case 'carrier':
      return m.carrierId || undefined;
    case 'warehouse':
      return m.warehouseId || undefined;
    case 'lane':
      return m.lane || undefined;
    case 'customer':
      return m.customerId || undefined;
  }
}

function causeOf(kind: CauseKind, m: IncidentMember): Cause {
  switch (kind) {
    case 'warehouse_carrier':
      return { kind, warehouseId: m.warehouseId ?? '', carrierId: m.carrierId ?? '' };
    case 'carrier':
      return { kind, carrierId: m.carrierId ?? '' };
    case 'warehouse':
      return { kind, warehouseId: m.warehouseId ?? '' };
    case 'lane':
      return { kind, lane: m.lane ?? '' };
    case 'customer':
      return { kind, customerId: m.customerId ?? '' };
  }
}

/** Which members of a sorted bucket are dense: `minMembers` of them within `burstMs` (two pointers). */
function denseOf(bucket: readonly Item[], opts: GroupOptions): boolean[] {
  const dense = new Array<boolean>(bucket.length).fill(false);
  const k = Math.max(1, opts.minMembers);
  for (let j = k - 1, marked = -1; j < bucket.length; j++) {
    const i = j - k + 1;
    if ((bucket[j] as Item).t - (bucket[i] as Item).t > opts.burstMs) continue;
    for (let x = Math.max(i, marked + 1); x <= j; x++) dense[x] = true;
    marked = j;
  }
  return dense;
}

/**
 * The incidents of a sorted bucket: chains of dense members (neighbours at most gapMs apart, the whole at
 * most maxSpanMs), each with the bucket's other members inside its span.
 */
function runsOf(bucket: readonly Item[], opts: GroupOptions): Item[][] {
  const dense = denseOf(bucket, opts);
  const spans: [number, number][] = [];
  let from = -1;
  let to = -1;
  for (let x = 0; x < bucket.length; x++) {
    if (!dense[x]) continue;
    const t = (bucket[x] as Item).t;
    if (
      from >= 0 &&
      (t - (bucket[to] as Item).t > opts.gapMs || t - (bucket[from] as Item).t > opts.maxSpanMs)
    ) {
      spans.push([from, to]);
      from = -1;
    }
    if (from < 0) from = x;
    to = x;
  }
  if (from >= 0) spans.push([from, to]);
  return spans.map(([a, b]) => bucket.slice(a, b + 1));
}

export function groupIncidents(
  states: Iterable<IncidentMember>,
  opts: GroupOptions = defaultGroupOptions,
): Incident[] {
  const pool = latestStates(states).map((m) => ({ m, t: Date.parse(m.occurredAt) }));
  const taken = new Set<string>();
  const incidents: Incident[] = [];
  for (const kind of causeKinds) {
    // Buckets fill in pool order, so each is already sorted by (occurredAt, id).
    const buckets = new Map<string, Item[]>();
    for (const item of pool) {
      if (taken.has(item.m.id)) continue;
      const key = causeKey(kind, item.m);
      if (key === undefined) continue;
      const k = `${item.m.type}\u001e${key}`;
      const bucket = buckets.get(k);
      if (bucket) bucket.push(item);
      else buckets.set(k, [item]);
    }
    for (const bucket of buckets.values()) {
      for (const run of runsOf(bucket, opts)) {
        if (run.length < opts.minMembers) continue;
        for (const item of run) taken.add(item.m.id);
        incidents.push(incidentOf(kind, run, opts.overBudget));
      }
    }
  }
  return sortIncidents(incidents);
}

/** Newest span end first, then id: the order of the API and of `replay --incidents`. */
export function sortIncidents(incidents: Incident[]): Incident[] {
  return incidents.sort((a, b) =>
    a.span.to === b.span.to ? (a.id < b.id ? -1 : 1) : Date.parse(b.span.to) - Date.parse(a.span.to),
  );
}

export function incidentId(type: string, cause: Cause, firstMemberId: string): string {
  const key = [cause.warehouseId, cause.carrierId, cause.lane, cause.customerId].map((v) => v ?? '');
  const digest = createHash('sha256')
    .update([type, cause.kind, ...key, firstMemberId].join('\u001f'))
    .digest('hex')
    .slice(0, 24);
  return `inc:${digest}`;
}

function incidentOf(kind: CauseKind, run: readonly Item[], overBudget?: ReadonlySet<string>): Incident {
  const first = run[0] as Item;
  const last = run[run.length - 1] as Item;
  const cause = causeOf(kind, first.m);
  const counts = { members: run.length, open: 0, assigned: 0, resolved: 0, overBudget: 0 };
  let severity = 0;
  const tiers = { tier1: new Set<string>(), tier2: new Set<string>(), tier3: new Set<string>() };
  const customers = new Set<string>();
  const warehouses = new Set<string>();
  const carriers = new Set<string>();
  for (const { m } of run) {
    counts[m.status]++;
    if (overBudget?.has(m.id)) counts.overBudget++;
    severity = Math.max(severity, severities.indexOf(m.severity));
    if (m.customerId) {
      customers.add(m.customerId);
      if (m.customerTier) tiers[m.customerTier].add(m.customerId);
    }
    if (m.warehouseId) warehouses.add(m.warehouseId);
    if (m.carrierId) carriers.add(m.carrierId);
  }
  const span = { from: new Date(first.t).toISOString(), to: new Date(last.t).toISOString() };
  return {
    id: incidentId(first.m.type, cause, first.m.id),
    type: first.m.type,
    cause,
    title: incidentTitle(first.m.type, cause, run.length, first.t, last.t),
    status: counts.open + counts.assigned > 0 ? 'open' : 'resolved',
    severity: severities[severity] ?? 'low',
    counts,
    span,
    customers: {
      tier1: tiers.tier1.size,
      tier2: tiers.tier2.size,
      tier3: tiers.tier3.size,
      total: customers.size,
      ids: [...customers].sort().slice(0, CUSTOMER_IDS_CAP),
    },
    warehouseIds: [...warehouses].sort(),
    carrierIds: [...carriers].sort(),
    memberIds: run.map((i) => i.m.id),
  };
}

/** Singular and plural of each type, for titles. */
const LABELS: Readonly<Record<string, readonly [string, string]>> = {
  late_scan: ['late scan', 'late scans'],
  short_pick: ['short pick', 'short picks'],
  inventory_mismatch: ['inventory mismatch', 'inventory mismatches'],
  tender_rejected: ['rejected tender', 'rejected tenders'],
  tender_unanswered: ['unanswered tender', 'unanswered tenders'],
  missed_pickup: ['missed pickup', 'missed pickups'],
  late_delivery: ['late delivery', 'late deliveries'],
  delivery_at_risk: ['delivery at risk', 'deliveries at risk'],
  missing_pod: ['missing POD', 'missing PODs'],
  excessive_dwell: ['excessive dwell', 'excessive dwells'],
  carrier_delay_reported: ['reported carrier delay', 'reported carrier delays'],
  wismo_spike: ['WISMO spike', 'WISMO spikes'],
  scan_coverage_low: ['low scan coverage', 'low scan coverages'],
};

function causeText(c: Cause): string {
  switch (c.kind) {
    case 'warehouse_carrier':
      return `at ${c.warehouseId}, carrier ${c.carrierId}`;
    case 'carrier':
      return `with carrier ${c.carrierId}`;
    case 'warehouse':
      return `at ${c.warehouseId}`;
    case 'lane':
      return `on lane ${c.lane}`;
    case 'customer':
      return `for customer ${c.customerId}`;
  }
}

/** `2026-03-02 13:00–16:10 UTC`, or with both dates when the span crosses midnight (UTC). */
function spanText(fromMs: number, toMs: number): string {
  const a = new Date(fromMs).toISOString();
  const b = new Date(toMs).toISOString();
  const day = (s: string) => s.slice(0, 10);
  const hm = (s: string) => s.slice(11, 16);
  return day(a) === day(b)
    ? `${day(a)} ${hm(a)}–${hm(b)} UTC`
    : `${day(a)} ${hm(a)} – ${day(b)} ${hm(b)} UTC`;
}

export function incidentTitle(type: string, cause: Cause, n: number, fromMs: number, toMs: number): string {
  const [one, many] = LABELS[type] ?? [`${type} exception`, `${type} exceptions`];
  return `${n} ${n === 1 ? one : many} ${causeText(cause)}, ${spanText(fromMs, toMs)}`;
}
