import { z } from 'zod';
import {
  type FeedDeclaration,
  type FeedSignal,
  type FeedsConfig,
  NO_FEEDS,
  type PodFeed,
  podFeedVerdict,
} from '../core/mod.ts';
import type { ShipmentFacts } from './facts.ts';
import type { FeedCoverage } from './types.ts';

/**
 * Feed capabilities as one detector (one partition) knows them: declared in config (DOCKSIDE_FEEDS_FILE),
 * else learned from the events themselves. Pure: no drivers, no clock.
 *
 * A delivery belongs to the source of the shipment's earliest `delivered` status. Per source we count the
 * deliveries it reported and those with a POD, and keep `firstPodMs`: the earliest event time at which the
 * source is known to have sent a POD for a shipment it reported delivered — max(POD time, that delivered
 * status's time), so a POD sent before the delivered status counts from the delivery on. It only ever
 * decreases (a POD counts for every source that reported the shipment delivered), whatever order events
 * arrive in, and a value below a deadline is final once the watermark passes that deadline (both events are
 * then in). That is why a rule asks about a deadline only when the watermark has passed it: live and replay
 * agree, and a restored detector carries the state in its snapshot.
 *
 * Decision for a deadline D (missing_pod: the delivery + pod_window_hours): the source is declared to send
 * PODs, or it is not declared not to and firstPodMs < D (strictly: a POD stamped exactly at D might still be
 * in flight when the watermark reaches D). A no-POD feed that starts sending PODs gets the rule back for
 * deadlines after its first POD only — deliveries whose deadline had passed before are not re-examined:
 * their PODs were never due, and raising months-old absences on the day a feed changes would flood the board.
 */
interface SourceFeed {
  deliveries: number;
  pods: number;
  /** +Infinity until a POD is seen. */
  firstPodMs: number;
  /** Deliveries a rule did not check because of this feed, by rule type. */
  suppressed: Record<string, number>;
}

export const feedStateSchema = z.array(
  z.tuple([
    z.string(),
    z.object({
      deliveries: z.number().int().nonnegative(),
      pods: z.number().int().nonnegative(),
      firstPodMs: z.number().nullable(),
      suppressed: z.record(z.string(), z.number().int().nonnegative()),
    }),
  ]),
);
export type FeedStateSnapshot = z.output<typeof feedStateSchema>;

export interface FeedSourceView {
  readonly source: string;
  readonly deliveries: number;
  readonly pods: number;
  readonly firstPodAt: string | null;
  readonly pod: PodFeed;
  readonly missingPod: 'on' | 'off';
  /** The sentence for people (core/feed-verdict.ts). */
  readonly text: string;
  readonly suppressed: Readonly<Record<string, number>>;
}

/** The source that reported the shipment delivered (its earliest delivered status): '' when unnamed. */
export function deliveringSource(f: ShipmentFacts): string | undefined {
  const list = f.statuses;
  if (!list) return undefined;
  for (const s of list) if (s.s === 'delivered') return s.src ?? '';
  return undefined;
}

export class FeedState {
  private bySource = new Map<string, SourceFeed>();
  private readonly declared: ReadonlyMap<string, FeedDeclaration>;

  constructor(private readonly config: FeedsConfig = NO_FEEDS) {
    this.declared = new Map(Object.entries(config.sources));
  }

  /** Whether `source` sends `signal` for a deadline at `deadlineMs` (final once the watermark passed it). */
  coverage(signal: FeedSignal, source: string, deadlineMs: number): FeedCoverage {
    const declared = this.declared.get(source)?.[signal];
    if (declared === true) return 'declared';
    if (declared === false) return 'never';
    const s = this.bySource.get(source);
    return s !== undefined && s.firstPodMs < deadlineMs ? 'learned' : 'unseen';
  }

  /**
   * After a delivered status or a POD was applied to a shipment: `before` is what the shipment counted
   * for until then (its delivering source and whether it had a POD). Idempotent: a duplicate changes nothing.
   */
  onShipment(f: ShipmentFacts, beforeSource: string | undefined, beforePod: boolean): void {
    const source = deliveringSource(f);
    const pod = f.pods?.[0];
    if (source !== beforeSource || (pod !== undefined) !== beforePod) {
      if (beforeSource !== undefined) {
        const s = this.of(beforeSource);
        s.deliveries--;
        if (beforePod) s.pods--;
      }
      if (source !== undefined) {
        const s = this.of(source);
        s.deliveries++;
        if (pod) s.pods++;
      }
    }
    if (!pod || !f.statuses) return;
    for (const d of f.statuses) {
      if (d.s !== 'delivered') continue;
      // Sorted by time: the first delivered status of each source gives that source's earliest candidate.
      const s = this.of(d.src ?? '');
      const at = Math.max(pod.at, d.at);
      if (at < s.firstPodMs) s.firstPodMs = at;
    }
  }

  /** A rule of `type` did not check a delivery of `source` (the detector calls it once per subject). */
  noteSuppressed(type: string, source: string): void {
    const s = this.of(source);
    s.suppressed[type] = (s.suppressed[type] ?? 0) + 1;
  }

  view(): FeedSourceView[] {
    return [...this.bySource]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([source, s]) =>
        viewOf(
          source,
          s.deliveries,
          s.pods,
          s.firstPodMs,
          s.suppressed,
          this.declared.get(source),
          this.config,
        ),
      );
  }

  snapshot(): FeedStateSnapshot {
    return [...this.bySource].map(([source, s]) => [
      source,
      {
        deliveries: s.deliveries,
        pods: s.pods,
        firstPodMs: Number.isFinite(s.firstPodMs) ? s.firstPodMs : null,
        suppressed: { ...s.suppressed },
      },
    ]);
  }

  /** Replaces the state with a snapshot's (absent in snapshots of earlier versions: nothing learned yet). */
  restore(snap: FeedStateSnapshot | undefined): void {
    this.bySource = new Map(
      (snap ?? []).map(([source, s]) => [
        source,
        {
          deliveries: s.deliveries,
          pods: s.pods,
          firstPodMs: s.firstPodMs ?? Number.POSITIVE_INFINITY,
          suppressed: { ...s.suppressed },
        },
      ]),
    );
  }

  private of(source: string): SourceFeed {
    let s = this.bySource.get(source);
    if (!s) {
      s = { deliveries: 0, pods: 0, firstPodMs: Number.POSITIVE_INFINITY, suppressed: {} };
      this.bySource.set(source, s);
    }
    return s;
  }
}

/** One view per source across partitions (a worker's owned detectors): counts add up, first POD is the min. */
export function mergeFeedViews(
  views: readonly FeedSourceView[][],
  config: FeedsConfig = NO_FEEDS,
): FeedSourceView[] {
  const acc = new Map<string, { d: number; p: number; first: number; off: Record<string, number> }>();
  for (const list of views) {
    for (const v of list) {
      const a = acc.get(v.source) ?? { d: 0, p: 0, first: Number.POSITIVE_INFINITY, off: {} };
      a.d += v.deliveries;
      a.p += v.pods;
      if (v.firstPodAt !== null) a.first = Math.min(a.first, Date.parse(v.firstPodAt));
      for (const [type, n] of Object.entries(v.suppressed)) a.off[type] = (a.off[type] ?? 0) + n;
      acc.set(v.source, a);
    }
  }
  return [...acc]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([source, a]) => viewOf(source, a.d, a.p, a.first, a.off, declaredIn(config, source), config));
}

function declaredIn(config: FeedsConfig, source: string): FeedDeclaration | undefined {
  return Object.hasOwn(config.sources, source) ? config.sources[source] : undefined;
}

function viewOf(
  source: string,
  deliveries: number,
  pods: number,
  firstPodMs: number,
  suppressed: Record<string, number>,
  declared: FeedDeclaration | undefined,
  config: FeedsConfig,
): FeedSourceView {
  // A first POD time is what the rule learns from; `pods` counts the shipments it came with.
  const v = podFeedVerdict({
    source,
    deliveries,
    pods: Number.isFinite(firstPodMs) ? Math.max(1, pods) : 0,
    declaredPod: declared?.pod,
    minDeliveries: config.learn.minDeliveries,
  });
  return {
    source,
    deliveries,
    pods,
    firstPodAt: Number.isFinite(firstPodMs) ? new Date(firstPodMs).toISOString() : null,
    pod: v.pod,
    missingPod: v.missingPod,
    text: v.text,
    suppressed: { ...suppressed },
  };
}
