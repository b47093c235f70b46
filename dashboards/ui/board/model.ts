import { exceptionTypes } from '../../../core/exception-types.ts';
import { isoText, pad2, splitDuration } from '../shared/format.ts';

export { typeLabel } from '../shared/format.ts';

/** The board's pure model: the exception shape, filters from the URL, matching, urgency order, ages. */

export interface Exception {
  readonly id: string;
  readonly type: string;
  readonly status: 'open' | 'assigned' | 'resolved';
  readonly severity: 'low' | 'medium' | 'high' | 'critical';
  readonly confidence: number;
  readonly detectedAt: string;
  readonly occurredAt: string;
  readonly evidence: readonly string[];
  readonly shipmentId?: string;
  readonly warehouseId?: string;
  readonly carrierId?: string;
  readonly customerId?: string;
  readonly customerTier?: string;
  readonly lane?: string;
  readonly sku?: string;
  readonly details: Readonly<Record<string, unknown>>;
  readonly assignedTo?: string;
  readonly assignedAt?: string;
  readonly resolvedAt?: string;
  readonly resolution?: string;
  readonly version: number;
}

export const types: readonly string[] = exceptionTypes;
export const severities = ['critical', 'high', 'medium', 'low'] as const;
export const tiers = ['tier1', 'tier2', 'tier3'] as const;
export const statuses = ['active', 'open', 'assigned', 'resolved', 'all'] as const;
export const ages = ['15m', '1h', '4h', '1d'] as const;
export const sorts = ['urgency', 'recent'] as const;
export type Sort = (typeof sorts)[number];
/** How the board is laid out: one list, or open incidents first (`?group=incidents`). */
export const groupings = ['none', 'incidents'] as const;
export type Grouping = (typeof groupings)[number];

/** Severity choices of the filter: one, or "this or worse". */
export const severityChoices: readonly { value: string; label: string }[] = [
  { value: '', label: 'Any severity' },
  { value: 'critical', label: 'Critical' },
  { value: 'critical,high', label: 'High or worse' },
  { value: 'critical,high,medium', label: 'Medium or worse' },
  { value: 'high', label: 'High' },
  { value: 'medium', label: 'Medium' },
  { value: 'low', label: 'Low' },
];

/** What the URL says the board shows. Unknown values fall back to "any" (the API would refuse them). */
export interface Filters {
  readonly warehouseId: string;
  readonly lane: string;
  readonly customerId: string;
  readonly customerTier: string;
  readonly type: string;
  /** Comma list of severities, or ''. */
  readonly severity: string;
  readonly status: (typeof statuses)[number];
  /** `15m`, `1h`, … or ''. */
  readonly olderThan: string;
  readonly sort: Sort;
  /** A view mode like the sort (not a filter: the same exceptions are loaded). */
  readonly group: Grouping;
}

const oneOf = <T extends string>(allowed: readonly T[], v: string | null, fallback: T): T =>
  (allowed as readonly string[]).includes(v ?? '') ? ((v ?? '') as T) : fallback;

export function filtersFrom(params: URLSearchParams): Filters {
  const sev = params.get('severity') ?? '';
  return {
    warehouseId: params.get('warehouseId') ?? '',
    lane: params.get('lane') ?? '',
    customerId: params.get('customerId') ?? '',
    customerTier: oneOf([...tiers, ''], params.get('customerTier'), ''),
    type: oneOf([...types, ''], params.get('type'), ''),
    severity: sev.split(',').every((s) => (severities as readonly string[]).includes(s)) ? sev : '',
    status: oneOf(statuses, params.get('status'), 'active'),
    olderThan: oneOf([...ages, ''], params.get('olderThan'), ''),
    sort: oneOf(sorts, params.get('sort'), 'urgency'),
    group: oneOf(groupings, params.get('group'), 'none'),
  };
}

function queryOf(pairs: Record<string, string | number>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(pairs)) if (v !== '') q.set(k, String(v));
  return q.toString();
}

/** The list request: every filter, the sort, and as many rows as the API gives at once. */
export function listQuery(f: Filters, limit: number): string {
  return queryOf({ ...identity(f), status: f.status, olderThan: f.olderThan, sort: f.sort, limit });
}

/** The heat strip's request: the filters except type and warehouse (its cells choose those). */
export function countsQuery(f: Filters): string {
  return queryOf({
    lane: f.lane,
    customerId: f.customerId,
    customerTier: f.customerTier,
    severity: f.severity,
    status: f.status,
    olderThan: f.olderThan,
  });
}

/**
 * The live stream's filters: what never changes in an exception's life. Status and age are checked here,
 * so a resolved state still arrives and takes its row off the board.
 */
export function streamQuery(f: Filters): string {
  return queryOf(identity(f));
}

function identity(f: Filters) {
  return {
    warehouseId: f.warehouseId,
    lane: f.lane,
    customerId: f.customerId,
    customerTier: f.customerTier,
    type: f.type,
    severity: f.severity,
  };
}

const MINUTES: Record<string, number> = { '15m': 15, '1h': 60, '4h': 240, '1d': 1_440 };

/** Whether a state belongs on the board under these filters (the same rules as the API's). */
export function matches(f: Filters, ex: Exception, nowMs: number): boolean {
  if (f.status === 'active' ? ex.status === 'resolved' : f.status !== 'all' && ex.status !== f.status)
    return false;
  if (f.type && ex.type !== f.type) return false;
  if (f.severity && !f.severity.split(',').includes(ex.severity)) return false;
  if (f.warehouseId && ex.warehouseId !== f.warehouseId) return false;
  if (f.lane && ex.lane !== f.lane) return false;
  if (f.customerId && ex.customerId !== f.customerId) return false;
  if (f.customerTier && ex.customerTier !== f.customerTier) return false;
  const min = MINUTES[f.olderThan];
  if (min !== undefined && nowMs - Date.parse(ex.occurredAt) < min * 60_000) return false;
  return true;
}

export const severityRank: Readonly<Record<string, number>> = { critical: 4, high: 3, medium: 2, low: 1 };

/** An entry of the board: the state plus the numbers its order needs (computed once per state). */
export interface Row {
  readonly ex: Exception;
  readonly rank: number;
  readonly at: number;
}

export function rowOf(ex: Exception): Row {
  return { ex, rank: severityRank[ex.severity] ?? 0, at: Date.parse(ex.occurredAt) };
}

/** urgency: severity, then the longest past its SLA (oldest occurredAt); recent: newest occurredAt first. */
export function comparator(sort: Sort): (a: Row, b: Row) => number {
  return sort === 'urgency'
    ? (a, b) => b.rank - a.rank || a.at - b.at || (a.ex.id < b.ex.id ? -1 : 1)
    : (a, b) => b.at - a.at || (a.ex.id < b.ex.id ? -1 : 1);
}

/** `45s`, `12m 05s`, `3h 07m`, `2d 4h`: precise while young, coarse when old. */
export function formatAge(ms: number): string {
  const { h, m, s } = splitDuration(ms);
  if (h === 0 && m === 0) return `${s}s`;
  if (h === 0) return `${m}m ${pad2(s)}s`;
  if (h < 48) return `${h}h ${pad2(m)}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

/** `wmsActivitySeen` → `WMS activity seen`. */
export function keyLabel(key: string): string {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/_/g, ' ')
    .toLowerCase()
    .replace(/\b(wms|tms|sla|sku|eta|pod|id)\b/g, (w) => w.toUpperCase());
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export function formatValue(v: unknown): string {
  if (v === true) return 'yes';
  if (v === false) return 'no';
  if (v === null || v === undefined) return '—';
  if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(v)) return formatTime(v);
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

const timeFormat = new Intl.DateTimeFormat(undefined, {
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

export function formatTime(iso: string): string {
  return isoText(iso, (ms) => timeFormat.format(ms));
}

/** Details shown as "why"; who assigned or resolved is shown with the handling instead. */
export const handlingKeys: ReadonlySet<string> = new Set(['assignedBy', 'resolvedBy']);
