import { detectorKnob, detectorKnobs, exceptionTypes, isExceptionType, type Policy } from '../../core/mod.ts';

/**
 * What every key of a policy drives: one row per key path present (leaves; a list of plain values is one
 * leaf, a list of objects is walked with its indexes, e.g. `rbac.can_approve_writeback.0.role`).
 * This table is the contract between the policy file and the code: `enforced` keys change behaviour,
 * `metadata` keys label things, `not_enforced` keys load but nothing reads them (a newer policy's keys,
 * typos, or keys the rule they sit in ignores). Pure: no I/O.
 */
export type KeyUse = 'enforced' | 'metadata' | 'not_enforced';

export type JsonValue =
  | string
  | number
  | boolean
  | null
  | readonly JsonValue[]
  | { readonly [k: string]: JsonValue };

export interface PolicyKeyRow {
  readonly path: string;
  readonly value: JsonValue;
  readonly use: KeyUse;
  /** What drives it (or why nothing does). */
  readonly by: string;
  /** For a likely typo: `did you mean late_scan?`. */
  readonly hint?: string;
}

export interface PolicyLeaf {
  readonly path: readonly string[];
  readonly value: JsonValue;
}

const NOT_ENFORCED = 'accepted, not enforced';
export const autoActionKinds = ['create_crm_task', 'draft_customer_update'] as const;
export const fallbackKinds = ['open_jira_ticket'] as const;

type Verdict = Omit<PolicyKeyRow, 'path' | 'value'>;
const enforced = (by: string): Verdict => ({ use: 'enforced', by });
const metadata = (by: string): Verdict => ({ use: 'metadata', by });
const notEnforced = (why?: string, hint?: string): Verdict => ({
  use: 'not_enforced',
  by: why ? `${NOT_ENFORCED}: ${why}` : NOT_ENFORCED,
  ...(hint ? { hint } : {}),
});

/** Keys outside `thresholds`, by path pattern (`#` = a list index). */
const fixedKeys: Readonly<Record<string, Verdict>> = {
  version: metadata('the policy version label v<version>-<content hash> recorded with every decision'),
  policy_name: metadata('shown by dockside policy check, GET /api/policy and the policy_loaded log entry'),
  owner: metadata('shown by dockside policy check and GET /api/policy'),
  regions: enforced(
    'data residency: write-back only for customers whose directory region is listed; others are held as region_not_allowed',
  ),
  'systems.wms.event_stream': metadata(
    'WMS feed: the ingest source of that name is labelled system=wms in GET /api/quality',
  ),
  'systems.wms.required_scan_coverage_min': enforced(
    'detector: scan_coverage_low minimum share of due shipments scanned (unless thresholds.scan_coverage_low sets one)',
  ),
  'systems.tms.event_stream': metadata(
    'TMS feed: the ingest source of that name is labelled system=tms in GET /api/quality',
  ),
  'systems.crm.system': enforced(
    'CRM adapter selection: salesforce = Salesforce REST, webhook = signed webhook, sandbox = local sandbox; writes are held when that adapter is not configured',
  ),
  'systems.crm.objects': enforced(
    'writable CRM objects: the adapter writes fields only on listed objects (risk fields on Account, so Account must be listed)',
  ),
  'rbac.can_trigger_automation.#.role': enforced(
    'RBAC: triggerer role (exceptions:act, writeback:trigger; reads exceptions, quality, forecasts, customers, approvals, writebacks)',
  ),
  'rbac.can_approve_writeback.#.role': enforced(
    'RBAC: approver role (approvals:decide, writebacks:rollback, audit:read); approval steps must name one',
  ),
  'rbac.read_only_roles.#.role': enforced('RBAC: read-only role (reads exceptions, quality, forecasts)'),
  'logging.prompt_logging': enforced(
    'prompt logging: the inputs behind each customer update draft are recorded in the decision log',
  ),
  'logging.decision_logging': enforced(
    'decision log: every decision, approval, write, rollback and notification is recorded, hash-chained; when false, nothing reaches a CRM (decisions held)',
  ),
  'logging.retain_days': enforced(
    'decision log retention: ClickHouse decision_log TTL and the audit stream max age',
  ),
  'slo_targets.exception_detection_latency_minutes_p95': enforced(
    'SLO target exported in /metrics (dockside_slo_target_seconds) beside the measured detection latency',
  ),
  'slo_targets.notification_latency_minutes_p95': enforced(
    'SLO target exported in /metrics (dockside_slo_target_seconds) beside dockside_notification_latency_p95_seconds (exception detected → notification accepted)',
  ),
  'slo_targets.exception_assign_minutes_p50': enforced(
    'KPI strip target: median minutes from detection to assignment (GET /api/kpis)',
  ),
  'slo_targets.exception_resolve_minutes_p50': enforced(
    'KPI strip target: median minutes from detection to resolution of assigned exceptions (GET /api/kpis)',
  ),
  'safety.pii_redaction': enforced(
    'PII redaction: personal data removed from customer update drafts and notifications',
  ),
  'safety.outbound_message_requires_citations': enforced(
    'citations: every statement of a customer update draft cites the event ids behind it',
  ),
  'safety.rollback.enabled': enforced(
    'rollback: POST /api/writebacks/:id/rollback restores the values read before a write',
  ),
  'safety.rollback.max_minutes_since_writeback': enforced(
    'rollback window: minutes after a write within which rollback is allowed; later it is refused',
  ),
  'telemetry.kpis.#.name': enforced(
    'KPI: exported in /metrics as dockside_kpi_threshold{kpi} and on the KPI strip',
  ),
  'incidents.gap_minutes': enforced(
    'incidents: neighbours further apart (event time) are in different incidents',
  ),
  'incidents.min_members': enforced(
    'incidents: the fewest exceptions that make an incident, all within burst_minutes',
  ),
  'incidents.burst_minutes': enforced(
    'incidents: the event time min_members must fall within to be a burst rather than background',
  ),
  'incidents.window_days': enforced('incidents: days of occurredAt GET /api/incidents groups'),
  'incidents.max_span_hours': enforced('incidents: the longest event-time span of one incident'),
};

/** Walks the policy to its leaves. Empty maps have no leaves; a list of plain values is one leaf. */
export function policyLeaves(policy: Policy): PolicyLeaf[] {
  const out: PolicyLeaf[] = [];
  const walk = (value: unknown, path: string[]) => {
    if (Array.isArray(value)) {
      if (value.every((v) => v === null || typeof v !== 'object'))
        out.push({ path, value: toJsonValue(value) });
      else {
        value.forEach((v, i) => {
          walk(v, [...path, String(i)]);
        });
      }
    } else if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) walk(v, [...path, k]);
    } else if (value !== undefined) {
      out.push({ path, value: toJsonValue(value) });
    }
  };
  walk(policy, []);
  return out;
}

export function policyReport(policy: Policy): PolicyKeyRow[] {
  return policyLeaves(policy).map(({ path, value }) => ({
    path: path.join('.'),
    value,
    ...classify(path, policy),
  }));
}

/** Rows nothing reads: what `dockside policy check` warns about. */
export function notEnforcedRows(rows: readonly PolicyKeyRow[]): PolicyKeyRow[] {
  return rows.filter((r) => r.use === 'not_enforced');
}

function classify(path: readonly string[], policy: Policy): Verdict {
  if (path[0] === 'thresholds' && path.length >= 2) return thresholdKey(path.slice(1), policy);
  const pattern = path.map((s) => (/^\d+$/.test(s) ? '#' : s)).join('.');
  if (pattern === 'telemetry.kpis.#.threshold_alert') {
    const name = policy.telemetry?.kpis?.[Number(path[2])]?.name ?? '';
    return enforced(
      `KPI alert threshold of ${name}: exported in /metrics as dockside_kpi_threshold{kpi="${name}"} and drawn on the KPI strip${name === 'wismo_per_100_orders' ? '; also the default rate_per_100_max of wismo_spike' : ''}`,
    );
  }
  if (
    pattern === 'safety.rollback.max_minutes_since_writeback' &&
    policy.safety?.rollback?.enabled === false
  ) {
    return notEnforced('ignored while safety.rollback.enabled is false');
  }
  const known = fixedKeys[pattern];
  if (known) return known;
  if (path[0] === 'slo_targets') return notEnforced('Dockside measures no SLO of that name');
  const segments = pattern.split('.');
  const parent = segments.slice(0, -1);
  return notEnforced(undefined, didYouMean(segments[segments.length - 1] ?? '', knownChildren(parent)));
}

/** The key names Dockside reads directly under a path pattern (for typo hints). */
function knownChildren(parent: readonly string[]): string[] {
  const names = new Set<string>();
  for (const known of [...Object.keys(fixedKeys), 'thresholds', 'telemetry.kpis.#.threshold_alert']) {
    const k = known.split('.');
    if (k.length > parent.length && parent.every((p, i) => k[i] === p)) names.add(k[parent.length] ?? '');
  }
  return [...names];
}

type WritebackRule = NonNullable<NonNullable<Policy['thresholds'][string]>['writeback']>;

/** `thresholds.<type>…`: detector knobs, switches, tier rules and write-back rules. */
function thresholdKey(rest: readonly string[], policy: Policy): Verdict {
  const [type = '', key = '', ...tail] = rest;
  if (!isExceptionType(type)) {
    return notEnforced(
      `${type} is not an exception type this Dockside detects`,
      didYouMean(type, exceptionTypes) ?? `known types: ${exceptionTypes.join(', ')}`,
    );
  }
  const t = policy.thresholds[type];
  if (key === 'enabled' && tail.length === 0) {
    return enforced(`detector: false switches ${type} off`);
  }
  const knob = detectorKnob(type, key);
  if (knob && tail.length === 0) return enforced(`detector: ${type} ${knob.means}`);
  if (key === 'max_per_subject_per_day' && tail.length === 0) {
    return enforced(
      `alert budget: ${type} exceptions beyond this per warehouse (else customer) and UTC day are marked over budget in the incident view`,
    );
  }
  if (key === 'writeback' && t?.writeback) {
    return writebackKey(
      tail,
      t.writeback,
      `thresholds.${type}.writeback`,
      `${type} (tiers without their own rule)`,
    );
  }
  if (key === 'customer_tiers' && tail.length >= 2) {
    const [tier = '', sub = '', ...subTail] = tail;
    const rule = t?.customer_tiers?.[tier as 'tier1'];
    if (sub === 'writeback' && rule?.writeback) {
      return writebackKey(
        subTail,
        rule.writeback,
        `thresholds.${type}.customer_tiers.${tier}.writeback`,
        `${type} / ${tier}`,
      );
    }
    if (sub === 'auto_actions')
      return autoActionKey(subTail, rule?.auto_actions, rule?.writeback, `${type} / ${tier}`);
    const tierKnob = detectorKnob(type, sub);
    if (tierKnob?.tiered && subTail.length === 0)
      return enforced(`detector: ${type} for ${tier}: ${tierKnob.means}`);
    if (tierKnob) return notEnforced(`the detector reads ${sub} per type, not per tier`);
    const tieredKnobs = detectorKnobs[type].filter((k) => k.tiered).map((k) => k.key);
    return notEnforced(undefined, didYouMean(sub, ['writeback', 'auto_actions', ...tieredKnobs]));
  }
  if (key === 'auto_actions')
    return notEnforced('auto actions are read per customer tier (customer_tiers.<tier>.auto_actions)');
  const knobs = detectorKnobs[type].map((k) => k.key);
  return notEnforced(
    knobs.length > 0 ? `${type} reads ${knobs.join(', ')}` : `${type} has no numeric knobs`,
    didYouMean(key, ['enabled', 'writeback', 'customer_tiers', ...knobs]),
  );
}

function autoActionKey(
  tail: readonly string[],
  actions: readonly { action: string }[] | undefined,
  rule: WritebackRule | undefined,
  scope: string,
): Verdict {
  const [index = '', key = ''] = tail;
  if (key !== 'action' || tail.length !== 2) return notEnforced();
  const action = actions?.[Number(index)]?.action ?? '';
  if (!rule)
    return notEnforced(`auto actions run only with a writeback rule on the tier (${scope} has none)`);
  if (!(autoActionKinds as readonly string[]).includes(action)) {
    return notEnforced(
      `no auto action ${action} (known: ${autoActionKinds.join(', ')})`,
      didYouMean(action, autoActionKinds),
    );
  }
  const what =
    action === 'create_crm_task'
      ? 'a CRM Task on the account'
      : 'a customer update draft (WISMO deflection), sent only after the approvals the policy requires';
  return enforced(`auto action for ${scope} when the confidence gate passes: ${what}`);
}

function writebackKey(tail: readonly string[], rule: WritebackRule, base: string, scope: string): Verdict {
  const [key = '', index = '', sub = '', ...more] = tail;
  const ignoredUnlessAllowed = () => notEnforced(`ignored: ${base}.allowed is false`);
  switch (key) {
    case 'allowed':
      return enforced(
        `write-back decision for ${scope}: true = fields may be written, false = fallback actions run`,
      );
    case 'fields':
      if (more.length > 0 || (sub !== 'name' && sub !== 'value')) return notEnforced();
      if (!rule.allowed) return ignoredUnlessAllowed();
      return enforced(
        sub === 'name'
          ? `write-back decision for ${scope}: CRM field written (policy fields are the only fields ever written)`
          : `write-back decision for ${scope}: value written to ${rule.fields?.[Number(index)]?.name ?? 'the field'}`,
      );
    case 'confidence_min':
      if (!rule.allowed) return ignoredUnlessAllowed();
      return enforced(`confidence gate for ${scope}: below it nothing is written automatically`);
    case 'approval_required':
      if (!rule.allowed) return ignoredUnlessAllowed();
      return enforced(`approvals for ${scope}: true = the fields wait for the approval steps, in order`);
    case 'approval_steps':
      if (more.length > 0 || (sub !== 'step' && sub !== 'timeout_minutes')) return notEnforced();
      if (!rule.allowed) return ignoredUnlessAllowed();
      return enforced(
        sub === 'step'
          ? `approvals for ${scope}: role that decides step ${Number(index) + 1}`
          : `approvals for ${scope}: minutes step ${Number(index) + 1} waits before escalation, then expiry`,
      );
    case 'fallback':
      return fallbackKey(index, sub, more, rule, base);
    default:
      return notEnforced(
        undefined,
        didYouMean(key, [
          'allowed',
          'fields',
          'confidence_min',
          'approval_required',
          'approval_steps',
          'fallback',
        ]),
      );
  }
}

function fallbackKey(
  index: string,
  key: string,
  more: readonly string[],
  rule: WritebackRule,
  base: string,
): Verdict {
  if (more.length > 0) return notEnforced();
  if (rule.allowed) return notEnforced(`ignored: fallback runs only when ${base}.allowed is false`);
  const action = rule.fallback?.[Number(index)]?.action ?? '';
  if (!(fallbackKinds as readonly string[]).includes(action)) {
    return notEnforced(
      `no fallback action ${action} (known: ${fallbackKinds.join(', ')})`,
      key === 'action' ? didYouMean(action, fallbackKinds) : undefined,
    );
  }
  switch (key) {
    case 'action':
      return enforced('fallback: open a Jira issue (POST /rest/api/2/issue) instead of writing to the CRM');
    case 'project':
      return enforced('fallback: the Jira project key of the issue');
    case 'severity':
      return enforced('fallback: the Jira priority of the issue');
    default:
      return notEnforced(undefined, didYouMean(key, ['action', 'project', 'severity']));
  }
}

/** A hint for a likely typo: the closest candidate within a few edits. */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  const limit = Math.max(2, Math.floor(word.length / 3));
  return best !== undefined && bestDistance > 0 && bestDistance <= limit
    ? `did you mean ${best}?`
    : undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const sub = (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      cur.push(Math.min(sub, (prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1));
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}

/** A JSON-safe rendering of a parsed YAML value (non-finite numbers as text). */
export function toJsonValue(value: unknown): JsonValue {
  if (value === undefined) return null;
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (Array.isArray(value)) return value.map(toJsonValue);
  if (typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJsonValue(v)]));
  }
  return String(value);
}
