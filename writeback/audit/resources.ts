import { type JetStreamManager, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { z } from 'zod';
import { ConfigError, describeValue, isNotFound } from '../../core/mod.ts';
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

const ns = (ms: number) => ms * 1_000_000;
const DAY_MS = 86_400_000;

/**
 * Declares `<P>_AUDIT` idempotently (creates it, or updates its limits): the chains' blocks and the shadow
 * differences, kept `retainDays` (the log of record is ClickHouse's decision_log, with the same TTL).
 */
export async function ensureAuditStream(
  jsm: JetStreamManager,
  names: AuditNames,
  opts: { dedupeWindowMs: number; retainDays: number; replicas?: number },
): Promise<void> {
  const maxAgeMs = opts.retainDays * DAY_MS;
  const config = {
    name: names.stream,
    subjects: [...names.subjects],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    max_age: ns(maxAgeMs),
    // JetStream refuses a duplicate window longer than the stream's max age.
    duplicate_window: ns(Math.min(opts.dedupeWindowMs, maxAgeMs)),
    num_replicas: opts.replicas ?? 1,
  };
  try {
    await jsm.streams.info(names.stream);
  } catch (err) {
    if (!isNotFound(err)) throw err;
    await jsm.streams.add(config);
    return;
  }
  await jsm.streams.update(names.stream, config);
}
