import { fromChTime, queryRows, type Store } from '../core/mod.ts';

/** Findings of one code from one source: how many, and the latest one's event and reason. */
export interface FindingGroup {
  source: string;
  code: string;
  count: number;
  latestEventId: string;
  latestReason: string;
  /** When the latest one arrived. */
  latestAt: string;
}

/** Per source and code, findings that arrived at or after `sinceMs`, from `quality_findings` (FINAL: one per event and code). */
export async function findingGroups(store: Store, sinceMs = 0): Promise<FindingGroup[]> {
  const rows = await queryRows<{
    source: string;
    code: string;
    n: string;
    eventId: string;
    reason: string;
    at: string;
  }>(
    store,
    `SELECT source, code, count() AS n,
            argMax(event_id, (received_at, event_id)) AS eventId,
            argMax(reason, (received_at, event_id)) AS reason,
            max(received_at) AS at
     FROM ${store.table('quality_findings')} FINAL
     WHERE received_at >= fromUnixTimestamp64Milli({since:Int64})
     GROUP BY source, code ORDER BY source, code`,
    { since: Math.floor(sinceMs) },
  );
  return rows.map((r) => ({
    source: r.source || '(unnamed)',
    code: r.code,
    count: Number(r.n),
    latestEventId: r.eventId,
    latestReason: r.reason,
    latestAt: new Date(fromChTime(r.at)).toISOString(),
  }));
}
