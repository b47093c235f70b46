import type { CanonicalEvent, DetectedException } from '../core/mod.ts';
import { partitionKey } from '../core/mod.ts';
import { AggregateDetector } from './aggregates/aggregate-detector.ts';
import { aggregateKey } from './aggregates/windows.ts';
import { Detector, type DetectorOptions, type StepOutput } from './detector.ts';
import { type FeedSourceView, mergeFeedViews } from './feeds.ts';

export type PartitionFn = (key: string, partitions: number) => number;

export interface TopologyOptions extends Omit<DetectorOptions, 'partition'> {
  readonly partitions: number;
  /** The events' partitioning (ingest's FNV-1a), injected so this file stays free of other modules. */
  readonly partitionOf: PartitionFn;
}

/**
 * The whole detector in one process and in memory: one stage-one Detector per partition, one
 * AggregateDetector per aggregate partition, partials and punctuations handed over directly instead of
 * through the detector stream. `dockside replay` and the property tests run this; the live workers run the
 * same two classes with JetStream in between, so both produce the same exceptions.
 */
export class Topology {
  readonly detectors: Detector[];
  readonly aggregators: AggregateDetector[];

  constructor(private readonly opts: TopologyOptions) {
    this.detectors = Array.from(
      { length: opts.partitions },
      (_, p) => new Detector({ ...opts, partition: p }),
    );
    this.aggregators = Array.from(
      { length: opts.partitions },
      () =>
        new AggregateDetector({
          policy: opts.policy,
          partitions: opts.partitions,
          ...(opts.strict !== undefined ? { strict: opts.strict } : {}),
        }),
    );
  }

  partitionOfEvent(event: CanonicalEvent): number {
    return this.opts.partitionOf(partitionKey(event), this.opts.partitions);
  }

  onEvent(
    event: CanonicalEvent,
    nowMs: number,
  ): { emissions: DetectedException[]; late: boolean; partition: number } {
    const p = this.partitionOfEvent(event);
    const d = this.detectors[p];
    if (!d) throw new RangeError(`partition ${p} out of range`);
    const out = d.onEvent(event, nowMs);
    const emissions = [...out.emissions];
    this.route(p, out, nowMs, emissions);
    return { emissions, late: out.late, partition: p };
  }

  advance(nowMs: number): DetectedException[] {
    const emissions: DetectedException[] = [];
    for (let p = 0; p < this.detectors.length; p++) emissions.push(...this.advancePartition(p, nowMs));
    return emissions;
  }

  /** Without idle advance only a partition's own events move its watermark: advancing it alone suffices. */
  advancePartition(p: number, nowMs: number): DetectedException[] {
    const d = this.detectors[p];
    if (!d) return [];
    const out = d.advance(nowMs);
    const emissions = [...out.emissions];
    this.route(p, out, nowMs, emissions);
    return emissions;
  }

  /** Per source, over every partition: what it sends and the deliveries rules skipped for it. */
  feedStats(): FeedSourceView[] {
    return mergeFeedViews(
      this.detectors.map((d) => d.feedStats()),
      this.opts.feeds,
    );
  }

  /** End of input: every partition's watermark moves to `endMs`; due deadlines fire and windows close. */
  finish(endMs: number, nowMs: number): DetectedException[] {
    for (const d of this.detectors) d.forceWatermark(endMs);
    return this.advance(nowMs);
  }

  private route(p: number, out: StepOutput, nowMs: number, emissions: DetectedException[]): void {
    for (const partial of out.partials) {
      const q = this.opts.partitionOf(aggregateKey(partial.kind, partial.key), this.opts.partitions);
      emissions.push(...(this.aggregators[q]?.onPartial(partial, nowMs) ?? []));
    }
    if (out.punctuation !== undefined) {
      for (const a of this.aggregators) emissions.push(...a.onPunctuation(p, out.punctuation, nowMs));
    }
  }
}

/** The latest state of every exception id (the highest version wins, as in ReplacingMergeTree). */
export class ExceptionSet {
  private readonly byId = new Map<string, DetectedException>();

  add(exceptions: Iterable<DetectedException>): void {
    for (const ex of exceptions) {
      const prev = this.byId.get(ex.id);
      if (!prev || prev.version < ex.version) this.byId.set(ex.id, ex);
    }
  }

  get size(): number {
    return this.byId.size;
  }

  /** Sorted by occurredAt, then id: a stable order for output and comparisons. */
  list(): DetectedException[] {
    return [...this.byId.values()].sort((a, b) =>
      a.occurredAt < b.occurredAt
        ? -1
        : a.occurredAt > b.occurredAt
          ? 1
          : a.id < b.id
            ? -1
            : a.id > b.id
              ? 1
              : 0,
    );
  }

  countByType(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const ex of this.byId.values()) out[ex.type] = (out[ex.type] ?? 0) + 1;
    return out;
  }
}
