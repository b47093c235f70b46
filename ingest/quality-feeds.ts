import { type FeedsConfig, type LearnedFeed, podFeedVerdict, queryRows, type Store } from '../core/mod.ts';

/**
 * Feed capabilities as `GET /api/quality` reports them: per source, the deliveries it reported and the PODs
 * on those shipments, what that says about the feed, and whether the detector's missing_pod rule applies to
 * its deliveries. The detector's rule (exceptions/feeds.ts): missing_pod applies to a delivery reported by S
 * iff S is declared `pod: true`, or not declared `pod: false` and a POD for a shipment S delivered has an
 * event time before the deadline. So it is off for a source declared without PODs and for one no POD was
 * ever seen for.
 */

/** What the report needs of the config's `feeds` (core/config-feeds.ts). */
export type FeedDeclarations = Pick<FeedsConfig, 'sources' | 'learn'>;

export interface FeedCounts {
  /** The source as events carry it ('' when they carry none). */
  readonly source: string;
  /** Shipments whose earliest `tms.status` delivered came from this source. */
  readonly deliveries: number;
  /**
   * Shipments this source reported delivered (by any of its delivered statuses, as the detector learns it)
   * that have a `tms.pod` from any source.
   */
  readonly pods: number;
}

/** `sends`: a POD was seen; `none`: enough deliveries and no POD; `unknown`: too few deliveries to tell. */
export type FeedState = LearnedFeed;

export interface FeedReport {
  readonly source: string;
  readonly deliveries: number;
  readonly pods: number;
  readonly state: FeedState;
  readonly declared: boolean;
  /** The declared `pod`, or null when the source is not declared. */
  readonly declaredPod: boolean | null;
  readonly missingPod: 'on' | 'off';
  /** The report for people, e.g. "source olist sends no PODs: missing_pod is off for it". */
  readonly text: string;
}

/** One report per source that reported a delivery or is declared, sorted by source. Pure. */
export function feedReports(counts: readonly FeedCounts[], decl: FeedDeclarations): FeedReport[] {
  const bySource = new Map<string, FeedCounts>(counts.map((c) => [c.source, c]));
  for (const source of Object.keys(decl.sources)) {
    if (!bySource.has(source)) bySource.set(source, { source, deliveries: 0, pods: 0 });
  }
  return [...bySource.values()]
    .map((c) => feedReport(c, decl))
    .sort((a, b) => a.source.localeCompare(b.source));
}

function feedReport(c: FeedCounts, decl: FeedDeclarations): FeedReport {
  const pod = Object.hasOwn(decl.sources, c.source) ? decl.sources[c.source]?.pod : undefined;
  const v = podFeedVerdict({ ...c, declaredPod: pod, minDeliveries: decl.learn.minDeliveries });
  return {
    source: c.source || '(unnamed)',
    deliveries: c.deliveries,
    pods: c.pods,
    state: v.learned,
    declared: pod !== undefined,
    declaredPod: pod ?? null,
    missingPod: v.missingPod,
    text: v.text,
  };
}

/**
 * Deliveries per source (by the source of each shipment's earliest delivered status) and PODs on the
 * shipments it reported delivered, over everything stored: a capability is learned from all history, as
 * the detector learns it.
 */
export async function feedCounts(store: Store): Promise<FeedCounts[]> {
  const t = store.table('events');
  const delivered = `type = 'tms.status' AND JSONExtractString(payload, 'status') = 'delivered'`;
  const podded = `SELECT DISTINCT shipment_id FROM ${t} FINAL WHERE type = 'tms.pod'`;
  const [deliveries, pods] = await Promise.all([
    queryRows<{ source: string; n: string }>(
      store,
      `SELECT source, count() AS n
       FROM (SELECT shipment_id, argMin(source, (occurred_at, id)) AS source FROM ${t} FINAL
             WHERE ${delivered} GROUP BY shipment_id)
       GROUP BY source`,
    ),
    queryRows<{ source: string; n: string }>(
      store,
      `SELECT d.source AS source, count() AS n
       FROM (SELECT DISTINCT shipment_id, source FROM ${t} FINAL WHERE ${delivered}) AS d
       INNER JOIN (${podded}) AS p ON d.shipment_id = p.shipment_id
       GROUP BY source`,
    ),
  ]);
  const out = new Map<string, { source: string; deliveries: number; pods: number }>();
  const of = (source: string) => {
    const c = out.get(source) ?? { source, deliveries: 0, pods: 0 };
    out.set(source, c);
    return c;
  };
  for (const r of deliveries) of(r.source).deliveries = Number(r.n);
  for (const r of pods) of(r.source).pods = Number(r.n);
  return [...out.values()];
}
