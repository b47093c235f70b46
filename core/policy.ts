import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError } from './errors.ts';
import { customerTiers } from './events.ts';
import { fieldIssues, formatIssues } from './zod-issues.ts';

/**
 * The write-back policy file (shared/policies/exception_to_crm_writeback.template.yaml loads unchanged).
 * Objects are loose: a customer's policy may carry keys Dockside does not read yet, and must still load.
 */
const roleList = z.array(z.looseObject({ role: z.string().min(1) }));

const writebackSchema = z.looseObject({
  allowed: z.boolean(),
  fields: z
    .array(z.looseObject({ name: z.string().min(1), value: z.union([z.string(), z.number(), z.boolean()]) }))
    .optional(),
  confidence_min: z.number().min(0).max(1).optional(),
  approval_required: z.boolean().optional(),
  approval_steps: z
    .array(z.looseObject({ step: z.string().min(1), timeout_minutes: z.number().positive() }))
    .optional(),
  fallback: z.array(z.looseObject({ action: z.string().min(1) })).optional(),
});

const tierRuleSchema = z.looseObject({
  auto_actions: z.array(z.looseObject({ action: z.string().min(1) })).optional(),
  writeback: writebackSchema.optional(),
});

/** `thresholds.<exception type>`: numeric knobs of the detector plus tiered write-back rules. */
const thresholdSchema = z.looseObject({
  customer_tiers: z.partialRecord(z.enum(customerTiers), tierRuleSchema).optional(),
  writeback: writebackSchema.optional(),
});

export const policySchema = z.looseObject({
  version: z.number().int().positive(),
  policy_name: z.string().min(1),
  owner: z.string().optional(),
  regions: z.array(z.string()).optional(),
  systems: z
    .looseObject({
      wms: z.looseObject({ required_scan_coverage_min: z.number().min(0).max(1).optional() }).optional(),
    })
    .optional(),
  rbac: z
    .looseObject({
      can_trigger_automation: roleList.optional(),
      can_approve_writeback: roleList.optional(),
      read_only_roles: roleList.optional(),
    })
    .optional(),
  logging: z.looseObject({}).optional(),
  slo_targets: z
    .looseObject({ exception_detection_latency_minutes_p95: z.number().positive().optional() })
    .optional(),
  thresholds: z.record(z.string(), thresholdSchema).default({}),
  safety: z
    .looseObject({
      pii_redaction: z.boolean().optional(),
      rollback: z
        .looseObject({ enabled: z.boolean(), max_minutes_since_writeback: z.number().positive().optional() })
        .optional(),
    })
    .optional(),
  telemetry: z
    .looseObject({
      kpis: z.array(z.looseObject({ name: z.string(), threshold_alert: z.number() })).optional(),
    })
    .optional(),
});

export type Policy = z.output<typeof policySchema>;

/** The built-in policy when POLICY_FILE is unset: only the detector defaults, no write-back. */
export const defaultPolicy: Policy = Object.freeze(
  policySchema.parse({ version: 1, policy_name: 'dockside-defaults' }),
);

export function parsePolicy(text: string, source: string): Policy {
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (cause) {
    throw new ConfigError('POLICY_FILE', `POLICY_FILE=${source}: not valid YAML`, { cause });
  }
  const parsed = policySchema.safeParse(data);
  if (!parsed.success) {
    throw new ConfigError(
      'POLICY_FILE',
      `POLICY_FILE=${source}: ${formatIssues(fieldIssues(parsed.error, data))}`,
      {
        cause: parsed.error,
      },
    );
  }
  return Object.freeze(parsed.data);
}

export function loadPolicy(file: string | undefined): Policy {
  if (!file) return defaultPolicy;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new ConfigError('POLICY_FILE', `POLICY_FILE=${file}: cannot read the file`, { cause });
  }
  return parsePolicy(text, file);
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
