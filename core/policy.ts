import { readFileSync } from 'node:fs';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { z } from 'zod';
import { ConfigError, type FieldIssue } from './errors.ts';
import { customerTiers } from './events.ts';
import { detectorKnobs, isExceptionType } from './exception-types.ts';
import { fieldIssues, formatIssues } from './zod-issues.ts';

export {
  type DetectorKnob,
  detectorKnob,
  detectorKnobs,
  type ExceptionType,
  exceptionTypes,
  isExceptionType,
} from './exception-types.ts';

/**
 * The write-back policy file (shared/policies/exception_to_crm_writeback.template.yaml loads unchanged).
 * Objects are loose: a customer's policy may carry keys Dockside does not read yet, and must still load
 * (`dockside policy check` reports them as accepted, not enforced). A `thresholds` key that is not an
 * exception type loads too, for the same reason. Checks that span keys live in `crossChecks` below.
 */

// Custom messages where core/zod-issues would render zod's own wording imprecisely (`positive()` reads ">= 0").
const positive = z.number().refine((n) => n > 0, { message: 'a number > 0' });
const positiveInt = z.number().int().min(1);
const nonEmpty = z.string().min(1);
const matching = (re: RegExp, what: string) => z.string().refine((s) => re.test(s), { message: what });
/** Field names map to CRM API names by convention (ops_risk_level → Ops_Risk_Level__c). */
const fieldName = matching(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a field name of letters, digits and _');
const sObjectName = matching(/^[A-Za-z][A-Za-z0-9_]*$/, 'a CRM object API name, e.g. Account or Risk__c');

function unique<T>(key: (item: T) => string, what: string) {
  return (items: readonly T[], ctx: z.core.$RefinementCtx<readonly T[]>) => {
    const seen = new Set<string>();
    items.forEach((item, i) => {
      const k = key(item);
      if (seen.has(k)) {
        ctx.addIssue({
          code: 'custom',
          path: [i],
          input: item,
          message: `${what} listed once (a duplicate)`,
        });
      }
      seen.add(k);
    });
  };
}

const roleList = z.array(z.looseObject({ role: nonEmpty }));

export const crmSystems = ['salesforce', 'webhook', 'sandbox'] as const;

const writebackSchema = z.looseObject({
  allowed: z.boolean(),
  fields: z
    .array(z.looseObject({ name: fieldName, value: z.union([z.string(), z.number(), z.boolean()]) }))
    .superRefine(unique((f) => f.name, 'each field name'))
    .optional(),
  confidence_min: z.number().min(0).max(1).optional(),
  approval_required: z.boolean().optional(),
  approval_steps: z.array(z.looseObject({ step: nonEmpty, timeout_minutes: positive })).optional(),
  fallback: z
    .array(
      z.looseObject({
        action: nonEmpty,
        project: matching(/^[A-Z][A-Z0-9_]+$/, 'a Jira project key, e.g. OPSDATA').optional(),
        severity: nonEmpty.optional(),
      }),
    )
    .optional(),
});

const tierRuleSchema = z.looseObject({
  auto_actions: z.array(z.looseObject({ action: nonEmpty })).optional(),
  writeback: writebackSchema.optional(),
});

/** `thresholds.<exception type>`: numeric knobs of the detector plus tiered write-back rules. */
const thresholdSchema = z.looseObject({
  enabled: z.boolean().optional(),
  customer_tiers: z.partialRecord(z.enum(customerTiers), tierRuleSchema).optional(),
  writeback: writebackSchema.optional(),
});

export const policySchema = z
  .looseObject({
    version: positiveInt,
    policy_name: nonEmpty,
    owner: nonEmpty.optional(),
    regions: z
      .array(nonEmpty)
      .min(1)
      .superRefine(unique((r) => r, 'each region'))
      .optional(),
    systems: z
      .looseObject({
        wms: z
          .looseObject({
            event_stream: nonEmpty.optional(),
            required_scan_coverage_min: z.number().min(0).max(1).optional(),
          })
          .optional(),
        tms: z.looseObject({ event_stream: nonEmpty.optional() }).optional(),
        crm: z
          .looseObject({
            system: z.enum(crmSystems),
            objects: z
              .array(sObjectName)
              .min(1)
              .superRefine(unique((o) => o, 'each object'))
              .optional(),
          })
          .optional(),
      })
      .optional(),
    rbac: z
      .looseObject({
        can_trigger_automation: roleList.optional(),
        can_approve_writeback: roleList.optional(),
        read_only_roles: roleList.optional(),
      })
      .optional(),
    logging: z
      .looseObject({
        prompt_logging: z.boolean().optional(),
        decision_logging: z.boolean().optional(),
        retain_days: positiveInt.optional(),
      })
      .optional(),
    slo_targets: z
      .looseObject({
        exception_detection_latency_minutes_p95: positive.optional(),
        notification_latency_minutes_p95: positive.optional(),
      })
      .catchall(positive)
      .optional(),
    thresholds: z.record(z.string(), thresholdSchema).default({}),
    /** How exceptions are grouped into incidents (exceptions/incidents): all optional, defaults there. */
    incidents: z
      .looseObject({
        gap_minutes: positive.optional(),
        min_members: z.number().int().min(2).optional(),
        burst_minutes: positive.optional(),
        window_days: positive.optional(),
        max_span_hours: positive.optional(),
      })
      .optional(),
    safety: z
      .looseObject({
        pii_redaction: z.boolean().optional(),
        outbound_message_requires_citations: z.boolean().optional(),
        rollback: z
          .looseObject({ enabled: z.boolean(), max_minutes_since_writeback: positive.optional() })
          .optional(),
      })
      .optional(),
    telemetry: z
      .looseObject({
        kpis: z
          .array(z.looseObject({ name: nonEmpty, threshold_alert: z.number() }))
          .superRefine(unique((k) => k.name, 'each KPI name'))
          .optional(),
      })
      .optional(),
  })
  .superRefine((p, ctx) => crossChecks(p, ctx));

export type Policy = z.output<typeof policySchema>;
type WritebackRule = z.output<typeof writebackSchema>;

/** Rules that span keys: approvals name approvers, a forbidden write lists no fields, knobs are numbers. */
function crossChecks(p: z.output<typeof policySchema>, ctx: z.core.$RefinementCtx<Policy>): void {
  const approvers = (p.rbac?.can_approve_writeback ?? []).map((r) => r.role);
  const issue = (path: (string | number)[], input: unknown, message: string) =>
    ctx.addIssue({ code: 'custom', path, input, message });
  const checkRule = (path: (string | number)[], rule: WritebackRule) => {
    const steps = rule.approval_steps ?? [];
    if (rule.approval_required === true && steps.length === 0) {
      issue(
        [...path, 'approval_steps'],
        rule.approval_steps,
        'at least one approval step when approval_required is true',
      );
    }
    steps.forEach((s, i) => {
      if (!approvers.includes(s.step)) {
        issue(
          [...path, 'approval_steps', i, 'step'],
          s.step,
          `a role listed in rbac.can_approve_writeback (${approvers.length > 0 ? approvers.join(', ') : 'none listed'})`,
        );
      }
    });
    if (!rule.allowed && (rule.fields?.length ?? 0) > 0) {
      issue([...path, 'fields'], rule.fields, 'no fields when allowed is false (this rule never writes)');
    }
    (rule.fallback ?? []).forEach((f, i) => {
      if (f.action !== 'open_jira_ticket') return;
      if (f.project === undefined) {
        issue(
          [...path, 'fallback', i, 'project'],
          f.project,
          'a Jira project key for open_jira_ticket, e.g. OPSDATA',
        );
      }
      if (f.severity === undefined) {
        issue(
          [...path, 'fallback', i, 'severity'],
          f.severity,
          'a Jira priority for open_jira_ticket, e.g. P2',
        );
      }
    });
  };
  const checkKnob = (path: (string | number)[], value: unknown, ratio: boolean) => {
    if (value === undefined) return;
    const ok = typeof value === 'number' && Number.isFinite(value) && value >= 0 && (!ratio || value <= 1);
    if (!ok) issue(path, value, ratio ? 'a number from 0 to 1' : 'a number >= 0');
  };
  for (const [type, t] of Object.entries(p.thresholds)) {
    if (!t) continue;
    if (t.writeback) checkRule(['thresholds', type, 'writeback'], t.writeback);
    for (const [tier, rule] of Object.entries(t.customer_tiers ?? {})) {
      if (rule?.writeback)
        checkRule(['thresholds', type, 'customer_tiers', tier, 'writeback'], rule.writeback);
    }
    // Unknown types are a newer policy's business: loaded, reported as not enforced, not checked.
    if (!isExceptionType(type)) continue;
    // The alert budget (exceptions/incidents/budget.ts): a whole number of exceptions per subject and day.
    const cap = (t as Record<string, unknown>).max_per_subject_per_day;
    if (cap !== undefined && !(typeof cap === 'number' && Number.isInteger(cap) && cap >= 1))
      issue(['thresholds', type, 'max_per_subject_per_day'], cap, 'a whole number >= 1');
    for (const knob of detectorKnobs[type]) {
      checkKnob(['thresholds', type, knob.key], t[knob.key], knob.ratio === true);
      if (!knob.tiered) continue;
      for (const [tier, rule] of Object.entries(t.customer_tiers ?? {})) {
        const value = (rule as Record<string, unknown> | undefined)?.[knob.key];
        checkKnob(['thresholds', type, 'customer_tiers', tier, knob.key], value, knob.ratio === true);
      }
    }
  }
}

/** A policy file Dockside cannot use: every issue names the path, the value and what was expected. */
export class PolicyError extends ConfigError {
  readonly source: string;
  readonly issues: readonly FieldIssue[];
  constructor(source: string, issues: readonly FieldIssue[], options?: { cause?: unknown; detail?: string }) {
    super('POLICY_FILE', `POLICY_FILE=${source}: ${options?.detail ?? summarize(issues)}`, options);
    this.source = source;
    this.issues = issues;
  }
}

/** How many issues an error message lists; `dockside policy check FILE` lists them all. */
const MESSAGE_ISSUES = 5;

function summarize(issues: readonly FieldIssue[]): string {
  const more = issues.length - MESSAGE_ISSUES;
  return `${formatIssues(issues.slice(0, MESSAGE_ISSUES))}${more > 0 ? `; and ${more} more (dockside policy check lists all)` : ''}`;
}

/** Published policies are shared by concurrent decisions: nothing may change one after parsing. */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** The built-in policy when POLICY_FILE is unset: only the detector defaults, no write-back. */
export const defaultPolicy: Policy = deepFreeze(
  policySchema.parse({ version: 1, policy_name: 'dockside-defaults' }),
);

export function parsePolicy(text: string, source: string): Policy {
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (cause) {
    // The parser's first line names the position; the offending line is the value shown.
    const detail = cause instanceof Error ? (cause.message.split('\n')[0] ?? '') : '';
    const line = cause instanceof YAMLParseError ? cause.linePos?.[0].line : undefined;
    const value = line === undefined ? text.slice(0, 80) : text.split(/\r?\n/)[line - 1];
    throw new PolicyError(source, [{ field: '', value, expected: `valid YAML (${detail})` }], {
      cause,
      detail: `not valid YAML: ${detail}`,
    });
  }
  const parsed = policySchema.safeParse(data);
  if (!parsed.success) {
    throw new PolicyError(source, fieldIssues(parsed.error, data), { cause: parsed.error });
  }
  return deepFreeze(parsed.data);
}

export function readPolicyText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (cause) {
    throw new ConfigError('POLICY_FILE', `POLICY_FILE=${file}: cannot read the file`, { cause });
  }
}

export function loadPolicy(file: string | undefined): Policy {
  if (!file) return defaultPolicy;
  return parsePolicy(readPolicyText(file), file);
}

/**
 * A numeric threshold for an exception type: the tier's value when the policy sets one under
 * `customer_tiers.<tier>`, else the type's value, else the documented default.
 */
export function threshold(
  policy: Policy,
  type: string,
  key: string,
  fallback: number,
  tier?: (typeof customerTiers)[number],
): number {
  const t = policy.thresholds[type];
  const tierValue = tier
    ? (t?.customer_tiers?.[tier] as Record<string, unknown> | undefined)?.[key]
    : undefined;
  if (typeof tierValue === 'number') return tierValue;
  const value = (t as Record<string, unknown> | undefined)?.[key];
  return typeof value === 'number' ? value : fallback;
}
