import { z } from 'zod';
import { customerTiers, type Policy, threshold } from '../../core/mod.ts';
import { LATE_SCAN_MINUTES_DEFAULT } from '../rules/late-scan.ts';

/**
 * Tumbling event-time windows for the two cross-key exception types. A customer's orders and WISMO
 * contacts, or a warehouse's shipments, live in many partitions; each partition counts its share per
 * window ("partials") and, once its watermark passes the window's close point, sends them to the
 * aggregate task that owns the key (a repartition, as Kafka Streams does), followed by a punctuation
 * carrying its watermark. The aggregate task decides a window once every partition's punctuation passed it.
 */
export const aggKinds = ['wismo', 'coverage'] as const;
export type AggKind = (typeof aggKinds)[number];

export interface WindowSpec {
  readonly sizeMs: number;
  /** Wait after the window end before closing (late scans still count for coverage until then). */
  readonly settleMs: number;
}

const HOUR = 3_600_000;
export const WISMO_WINDOW_HOURS_DEFAULT = 168;
export const COVERAGE_WINDOW_HOURS_DEFAULT = 24;

export function windowSpecs(policy: Policy): Record<AggKind, WindowSpec> {
  return {
    wismo: {
      sizeMs: threshold(policy, 'wismo_spike', 'window_hours', WISMO_WINDOW_HOURS_DEFAULT) * HOUR,
      settleMs: 0,
    },
    coverage: {
      sizeMs: threshold(policy, 'scan_coverage_low', 'window_hours', COVERAGE_WINDOW_HOURS_DEFAULT) * HOUR,
      settleMs:
        threshold(
          policy,
          'scan_coverage_low',
          'settle_minutes',
          threshold(policy, 'late_scan', 'minutes_past_sla', LATE_SCAN_MINUTES_DEFAULT),
        ) * 60_000,
    },
  };
}

export const windowOf = (spec: WindowSpec, ms: number) => Math.floor(ms / spec.sizeMs);
export const closePointOf = (spec: WindowSpec, window: number) => (window + 1) * spec.sizeMs + spec.settleMs;

/** One partition's share of one key's window: wismo a = orders, b = contacts; coverage a = due, b = scanned. */
export const partialSchema = z.object({
  from: z.number().int().nonnegative(),
  kind: z.enum(aggKinds),
  key: z.string(),
  window: z.number().int(),
  a: z.number(),
  b: z.number(),
  tier: z.enum(customerTiers).optional(),
  sample: z.array(z.string()),
  /** 0 when the window closed, +1 for every change a late event made afterwards. */
  rev: z.number().int().nonnegative(),
});
export type PartialOut = z.output<typeof partialSchema>;

const SAMPLE_MAX = 20;

interface Acc extends PartialOut {
  flushed: boolean;
}

export const windowPartialsSnapshotSchema = z.object({
  grid: z.record(z.enum(aggKinds), z.number().nullable()),
  accs: z.array(partialSchema.extend({ flushed: z.boolean() })),
});
export type WindowPartialsSnapshot = z.output<typeof windowPartialsSnapshotSchema>;

export class WindowPartials {
  private readonly accs = new Map<string, Acc>();
  /** Per kind: every window with a lower index is closed and was sent. */
  private readonly grid: Record<AggKind, number> = {
    wismo: Number.NEGATIVE_INFINITY,
    coverage: Number.NEGATIVE_INFINITY,
  };

  constructor(
    readonly specs: Record<AggKind, WindowSpec>,
    private readonly partition: number,
  ) {}

  get size(): number {
    return this.accs.size;
  }

  /** Adds to a partial; returns it when its window is already closed (a late change to send again). */
  add(
    kind: AggKind,
    key: string,
    window: number,
    da: number,
    db: number,
    extra: { tier?: PartialOut['tier']; sampleId?: string } = {},
  ): PartialOut | undefined {
    const k = `${kind}|${key}|${window}`;
    let acc = this.accs.get(k);
    const closed = window < this.grid[kind];
    if (!acc) {
      acc = { from: this.partition, kind, key, window, a: 0, b: 0, sample: [], rev: 0, flushed: closed };
      this.accs.set(k, acc);
    } else if (acc.flushed) acc.rev++;
    acc.a += da;
    acc.b += db;
    if (extra.tier && (!acc.tier || extra.tier < acc.tier)) acc.tier = extra.tier;
    if (extra.sampleId && !acc.sample.includes(extra.sampleId)) {
      acc.sample.push(extra.sampleId);
      acc.sample.sort();
      if (acc.sample.length > SAMPLE_MAX) acc.sample.length = SAMPLE_MAX;
    }
    return acc.flushed ? out(acc) : undefined;
  }

  /** Closes the windows the watermark passed; `moved` tells whether a punctuation is due. */
  close(watermarkMs: number): { partials: PartialOut[]; moved: boolean } {
    const partials: PartialOut[] = [];
    let moved = false;
    for (const kind of aggKinds) {
      const spec = this.specs[kind];
      const g = Math.floor((watermarkMs - spec.settleMs) / spec.sizeMs);
      if (!(g > this.grid[kind])) continue;
      this.grid[kind] = g;
      moved = true;
      for (const acc of this.accs.values()) {
        if (acc.kind === kind && !acc.flushed && acc.window < g) {
          acc.flushed = true;
          partials.push(out(acc));
        }
      }
    }
    return { partials, moved };
  }

  /** Drops partials closed longer ago than the retention: a later change could no longer be merged anyway. */
  evict(watermarkMs: number, retentionMs: number): void {
    for (const [k, acc] of this.accs) {
      if (acc.flushed && closePointOf(this.specs[acc.kind], acc.window) + retentionMs < watermarkMs) {
        this.accs.delete(k);
      }
    }
  }

  snapshot(): WindowPartialsSnapshot {
    const fin = (n: number) => (Number.isFinite(n) ? n : null);
    return {
      grid: { wismo: fin(this.grid.wismo), coverage: fin(this.grid.coverage) },
      accs: [...this.accs.values()].map((a) => ({ ...a, sample: [...a.sample] })),
    };
  }

  restore(s: WindowPartialsSnapshot): void {
    for (const kind of aggKinds) this.grid[kind] = s.grid[kind] ?? Number.NEGATIVE_INFINITY;
    for (const a of s.accs) this.accs.set(`${a.kind}|${a.key}|${a.window}`, { ...a });
  }
}

function out(acc: Acc): PartialOut {
  return {
    from: acc.from,
    kind: acc.kind,
    key: acc.key,
    window: acc.window,
    a: acc.a,
    b: acc.b,
    ...(acc.tier ? { tier: acc.tier } : {}),
    sample: [...acc.sample],
    rev: acc.rev,
  };
}

/** The key that routes a partial to its aggregate task (same hash partitioning as events). */
export const aggregateKey = (kind: AggKind, key: string) => `agg:${kind}:${key}`;
