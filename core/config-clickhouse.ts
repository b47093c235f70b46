import { z } from 'zod';
import { intIn } from './config-fields.ts';
import { DEFAULT_RETAIN_DAYS, type RetentionClass } from './ddl.ts';
import { ConfigError, describeValue } from './errors.ts';

/**
 * ClickHouse layout and retention: a cluster name turns migrations into Replicated tables ON CLUSTER
 * with Distributed tables in front (docs/operations.md, "ClickHouse"); days per retention class become
 * TTLs (0 keeps rows forever). The decision log's days come from the policy, not from here.
 */
const days = (cls: RetentionClass) => intIn(0, 36_500).default(DEFAULT_RETAIN_DAYS[cls]);

export const clickhouseEnvShape = {
  /** A cluster in the servers' remote_servers (needs CLICKHOUSE_URL); unset = single-node tables. */
  CLICKHOUSE_CLUSTER: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/, 'a cluster name of letters, digits, _ . -')
    .optional(),
  /** events, by received_at. */
  DOCKSIDE_EVENTS_RETAIN_DAYS: days('events'),
  /** exceptions (every version), by detected_at. */
  DOCKSIDE_EXCEPTIONS_RETAIN_DAYS: days('exceptions'),
  /** dead_letters, late_events, detector_metrics, metric_samples, shadow_diffs. */
  DOCKSIDE_LOGS_RETAIN_DAYS: days('logs'),
};

export interface ClickHouseLayout {
  readonly cluster?: string;
  readonly retainDays: { readonly events: number; readonly exceptions: number; readonly logs: number };
}

type Parsed = Partial<Record<'CLICKHOUSE_CLUSTER' | 'CLICKHOUSE_URL', string>> &
  Record<
    'DOCKSIDE_EVENTS_RETAIN_DAYS' | 'DOCKSIDE_EXCEPTIONS_RETAIN_DAYS' | 'DOCKSIDE_LOGS_RETAIN_DAYS',
    number
  >;

export function clickhouseLayout(e: Parsed): ClickHouseLayout {
  if (e.CLICKHOUSE_CLUSTER && !e.CLICKHOUSE_URL) {
    throw new ConfigError(
      'CLICKHOUSE_CLUSTER',
      `CLICKHOUSE_CLUSTER=${describeValue(e.CLICKHOUSE_CLUSTER)} is invalid: expected CLICKHOUSE_URL set too (embedded chDB is one node)`,
    );
  }
  return {
    ...(e.CLICKHOUSE_CLUSTER ? { cluster: e.CLICKHOUSE_CLUSTER } : {}),
    retainDays: {
      events: e.DOCKSIDE_EVENTS_RETAIN_DAYS,
      exceptions: e.DOCKSIDE_EXCEPTIONS_RETAIN_DAYS,
      logs: e.DOCKSIDE_LOGS_RETAIN_DAYS,
    },
  };
}
