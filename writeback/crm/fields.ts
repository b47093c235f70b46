import { z } from 'zod';
import { describeValue } from '../../core/mod.ts';
import { TargetRejectedError } from '../errors.ts';
import type { FieldValue } from './adapter.ts';

/** A CRM field value as it may cross the wire: JSON scalars only (compound fields are not written). */
export const fieldValueSchema: z.ZodType<FieldValue> = z.union([
  z.string(),
  z.number(),
  z.boolean(),
  z.null(),
]);

const policyName = /^[A-Za-z][A-Za-z0-9_]*$/;

/**
 * A policy field name → its Salesforce API name. An explicit entry of SALESFORCE_FIELD_MAP wins; a name
 * with an upper-case letter is taken as an API name already (`Name`, `Region__c`); otherwise the custom
 * field convention: `ops_risk_level` → `Ops_Risk_Level__c`.
 */
export function apiFieldName(name: string, fieldMap: Readonly<Record<string, string>> = {}): string {
  const mapped = fieldMap[name];
  if (mapped) return mapped;
  if (!policyName.test(name)) {
    throw new TargetRejectedError(
      'salesforce',
      'INVALID_FIELD_NAME',
      `field name ${describeValue(name)} is not usable: expected letters, digits and underscores, starting with a letter`,
    );
  }
  if (/[A-Z]/.test(name)) return name;
  const parts = name.split('_').filter((p) => p.length > 0);
  return `${parts.map((p) => p[0]?.toUpperCase() + p.slice(1)).join('_')}__c`;
}

/** policy name → API name for a list of fields (order kept), for mapping answers and errors back. */
export function fieldNames(
  names: readonly string[],
  fieldMap: Readonly<Record<string, string>>,
): ReadonlyArray<readonly [policy: string, api: string]> {
  return names.map((n) => [n, apiFieldName(n, fieldMap)] as const);
}
