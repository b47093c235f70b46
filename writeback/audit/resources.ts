import type { JetStreamManager } from '@nats-io/jetstream';
import { z } from 'zod';
import {
  auditStreamSpec,
  ConfigError,
  describeValue,
  ensureStream,
  type SpecConfig,
} from '../../core/mod.ts';
import type { AuditNames } from './names.ts';

/** `logging.retain_days` when the policy has none. */
export const DEFAULT_RETAIN_DAYS = 365;

const retainDaysSchema = z.number().int().min(1).max(36_500);

/** The policy's `logging.retain_days` (default 365); a present but unusable value stops with its path. */
export function retainDaysOf(policy: { readonly logging?: unknown }): number {
  const logging = policy.logging;
  if (logging === null || typeof logging !== 'object') return DEFAULT_RETAIN_DAYS;
  const value = (logging as Record<string, unknown>).retain_days;
  if (value === undefined) return DEFAULT_RETAIN_DAYS;
  const parsed = retainDaysSchema.safeParse(value);
  if (!parsed.success) {
    throw new ConfigError(
      'POLICY_FILE',
      `logging.retain_days: got ${describeValue(value)}, expected a whole number of days from 1 to 36500`,
      { cause: parsed.error },
    );
  }
  return parsed.data;
}

/**
 * Declares `<P>_AUDIT` idempotently (creates it, or updates its limits): the chains' blocks and the shadow
 * differences, kept `retainDays` (the log of record is ClickHouse's decision_log, with the same TTL).
 */
export async function ensureAuditStream(
  jsm: JetStreamManager,
  names: AuditNames,
  config: SpecConfig,
  retainDays: number,
): Promise<void> {
  await ensureStream(jsm, auditStreamSpec(config, names.stream, names.subjects, retainDays));
}
