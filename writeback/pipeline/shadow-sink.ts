import type { JetStreamManager, JsMsg } from '@nats-io/jetstream';
import { z } from 'zod';
import {
  type ConsumeDeps,
  chTime,
  DeadLetterError,
  type Migration,
  queryRows,
  type Running,
  type Store,
  startTableSink,
} from '../../core/mod.ts';
import type { ShadowDiff } from './decider.ts';

/** Shadow-policy differences in ClickHouse: what the candidate policy would have done differently. */
export const shadowMigrations: readonly Migration[] = [
  {
    version: 45,
    name: 'write-back shadow differences',
    statements: [
      {
        table: 'shadow_diffs',
        columns: `shadow_version String, active_version String, exception_id String, exception_version UInt64,
        exception_type LowCardinality(String), customer_id String, at DateTime64(3, 'UTC'),
        active_outcome LowCardinality(String), active_reason LowCardinality(String),
        shadow_outcome LowCardinality(String), shadow_reason LowCardinality(String),
        active String, shadow String`,
        engine: 'ReplacingMergeTree',
        orderBy: '(shadow_version, exception_id, exception_version)',
        ttl: { column: 'at', retention: 'logs' },
        shardBy: 'cityHash64(exception_id)',
      },
    ],
  },
];

const diffSchema = z.looseObject({
  exceptionId: z.string(),
  exceptionVersion: z.number(),
  exceptionType: z.string(),
  customerId: z.string().optional(),
  at: z.string(),
  activeVersion: z.string(),
  shadowVersion: z.string(),
  active: z.looseObject({ outcome: z.string(), reasonCode: z.string() }),
  shadow: z.looseObject({ outcome: z.string(), reasonCode: z.string() }),
});
const messageSchema = z.object({ diffs: z.array(diffSchema) });

interface ShadowRow {
  shadow_version: string;
  active_version: string;
  exception_id: string;
  exception_version: number;
  exception_type: string;
  customer_id: string;
  at: string;
  active_outcome: string;
  active_reason: string;
  shadow_outcome: string;
  shadow_reason: string;
  active: string;
  shadow: string;
}

/** One message per decider block with differences; `<prefix>.wbshadow.<p>`, id = first diff's state. */
export function shadowMessage(diffs: readonly ShadowDiff[]): { data: string; msgID: string } {
  const first = diffs[0];
  return {
    data: JSON.stringify({ diffs }),
    msgID: `shadow:${first?.shadowVersion}:${first?.exceptionId}:v${first?.exceptionVersion}:${diffs.length}`,
  };
}

export function startShadowSink(
  opts: ConsumeDeps & {
    jsm: JetStreamManager;
    store: Store;
    stream: string;
    filter: string;
    durable: string;
    batch: { maxRows: number; intervalMs: number };
  },
): Promise<Running> {
  return startTableSink<ShadowRow>({ ...opts, table: 'shadow_diffs', toRows: shadowRows });
}

export function shadowRows(msg: JsMsg): ShadowRow[] {
  const parsed = messageSchema.safeParse(msg.json());
  if (!parsed.success)
    throw new DeadLetterError('SHADOW_INVALID', 'not a shadow-difference message', { cause: parsed.error });
  return parsed.data.diffs.map((d) => ({
    shadow_version: d.shadowVersion,
    active_version: d.activeVersion,
    exception_id: d.exceptionId,
    exception_version: d.exceptionVersion,
    exception_type: d.exceptionType,
    customer_id: d.customerId ?? '',
    at: chTime(Date.parse(d.at)),
    active_outcome: d.active.outcome,
    active_reason: d.active.reasonCode,
    shadow_outcome: d.shadow.outcome,
    shadow_reason: d.shadow.reasonCode,
    active: JSON.stringify(d.active),
    shadow: JSON.stringify(d.shadow),
  }));
}

export async function queryShadow(
  store: Store,
  opts: { shadowVersion?: string; limit: number; offset: number },
): Promise<{ counts: { change: string; n: number }[]; items: ShadowRow[] }> {
  const where = opts.shadowVersion ? 'WHERE shadow_version = {v:String}' : '';
  const params = { v: opts.shadowVersion ?? '', limit: opts.limit, offset: opts.offset };
  const t = store.table('shadow_diffs');
  const counts = await queryRows<{ change: string; n: string }>(
    store,
    `SELECT concat(active_outcome, '/', active_reason, ' → ', shadow_outcome, '/', shadow_reason) AS change, count() AS n
     FROM ${t} FINAL ${where} GROUP BY change ORDER BY n DESC`,
    params,
  );
  const items = await queryRows<ShadowRow>(
    store,
    `SELECT * FROM ${t} FINAL ${where} ORDER BY at DESC LIMIT {limit:UInt32} OFFSET {offset:UInt32}`,
    params,
  );
  return { counts: counts.map((c) => ({ change: c.change, n: Number(c.n) })), items };
}
