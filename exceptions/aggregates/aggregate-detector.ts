import { z } from 'zod';
import type { DetectedException, Policy } from '../../core/mod.ts';
import { emitIfNewer } from '../emit.ts';
import { type Published, publishedSchema } from '../facts.ts';
import type { ExceptionDraft } from '../types.ts';
import type { MergedWindow } from './merged.ts';
import { scanCoverageLow } from './scan-coverage-low.ts';
import {
  type AggKind,
  closePointOf,
  type PartialOut,
  partialSchema,
  type WindowSpec,
  windowSpecs,
} from './windows.ts';
import { wismoSpike } from './wismo-spike.ts';

/**
 * Stage two of the detector: one per partition of the aggregate keys (customers for WISMO, warehouses
 * for scan coverage). It keeps the latest partial from every upstream partition per (key, window) and each
 * upstream partition's punctuation; a window is decided once the minimum punctuation passed its close
 * point, and decided again (new version, or resolved) when a late partial revises it. Pure, like stage one.
 */
const SAMPLE_MAX = 20;

interface Win {
  kind: AggKind;
  key: string;
  window: number;
  parts: Map<number, PartialOut>;
  ex: Published;
}

export const aggregateSnapshotSchema = z.object({
  v: z.literal(1),
  upstream: z.array(z.number().nullable()),
  idle: z.array(z.boolean()),
  floor: z.number().nullable(),
  windows: z.array(z.object({ parts: z.array(partialSchema), ex: publishedSchema })),
});
export type AggregateSnapshot = z.output<typeof aggregateSnapshotSchema>;

export class AggregateDetector {
  private readonly specs: Record<AggKind, WindowSpec>;
  private readonly upstream: number[];
  private readonly idle: boolean[];
  private floor = Number.NEGATIVE_INFINITY;
  private readonly windows = new Map<string, Win>();

  constructor(
    private readonly opts: { policy: Policy; partitions: number; strict?: boolean; retentionMs?: number },
  ) {
    this.specs = windowSpecs(opts.policy);
    this.upstream = Array.from({ length: opts.partitions }, () => Number.NEGATIVE_INFINITY);
    this.idle = Array.from({ length: opts.partitions }, () => false);
  }

  get watermarkMs(): number {
    return this.floor;
  }

  get size(): number {
    return this.windows.size;
  }

  onPartial(p: PartialOut, nowMs: number): DetectedException[] {
    const k = `${p.kind}|${p.key}|${p.window}`;
    let w = this.windows.get(k);
    if (!w) {
      w = { kind: p.kind, key: p.key, window: p.window, parts: new Map(), ex: {} };
      this.windows.set(k, w);
    }
    const prev = w.parts.get(p.from);
    // A redelivered or replayed older revision must not undo a newer one.
    if (prev && prev.rev >= p.rev) return [];
    w.parts.set(p.from, p);
    return closePointOf(this.specs[w.kind], w.window) <= this.floor ? this.decide(w, nowMs) : [];
  }

  /** `watermarkMs` null: the upstream partition has no data at all (idle) and must not hold windows back. */
  onPunctuation(from: number, watermarkMs: number | null, nowMs: number): DetectedException[] {
    if (from < 0 || from >= this.upstream.length) return [];
    if (watermarkMs === null) this.idle[from] = true;
    else {
      this.idle[from] = false;
      this.upstream[from] = Math.max(this.upstream[from] ?? Number.NEGATIVE_INFINITY, watermarkMs);
    }
    let min = Number.POSITIVE_INFINITY;
    let any = false;
    this.upstream.forEach((wm, i) => {
      if (this.idle[i]) return;
      any = true;
      if (wm < min) min = wm;
    });
    if (!any || !(min > this.floor)) return [];
    const old = this.floor;
    this.floor = min;
    const out: DetectedException[] = [];
    for (const w of this.windows.values()) {
      const close = closePointOf(this.specs[w.kind], w.window);
      if (close > old && close <= min) out.push(...this.decide(w, nowMs));
    }
    this.evict();
    return out;
  }

  private decide(w: Win, nowMs: number): DetectedException[] {
    const merged = merge(w, this.specs[w.kind]);
    const published = Object.keys(w.ex).length > 0;
    const draft: ExceptionDraft | undefined =
      w.kind === 'wismo'
        ? wismoSpike(merged, this.opts.policy, published)
        : scanCoverageLow(merged, this.opts.policy, published);
    if (!draft) return [];
    const ex = emitIfNewer(w.ex, draft, nowMs, this.opts.strict ?? false);
    return ex ? [ex] : [];
  }

  private evict(): void {
    const retention = this.opts.retentionMs;
    if (retention === undefined) return;
    for (const [k, w] of this.windows) {
      if (closePointOf(this.specs[w.kind], w.window) + retention < this.floor) this.windows.delete(k);
    }
  }

  snapshot(): AggregateSnapshot {
    const fin = (n: number) => (Number.isFinite(n) ? n : null);
    return {
      v: 1,
      upstream: this.upstream.map(fin),
      idle: [...this.idle],
      floor: fin(this.floor),
      windows: [...this.windows.values()].map((w) => ({ parts: [...w.parts.values()], ex: w.ex })),
    };
  }

  static restore(
    s: AggregateSnapshot,
    opts: ConstructorParameters<typeof AggregateDetector>[0],
  ): AggregateDetector {
    const d = new AggregateDetector(opts);
    s.upstream.forEach((v, i) => {
      if (i < d.upstream.length) d.upstream[i] = v ?? Number.NEGATIVE_INFINITY;
    });
    s.idle.forEach((v, i) => {
      if (i < d.idle.length) d.idle[i] = v;
    });
    d.floor = s.floor ?? Number.NEGATIVE_INFINITY;
    for (const w of s.windows) {
      const first = w.parts[0];
      if (!first) continue;
      d.windows.set(`${first.kind}|${first.key}|${first.window}`, {
        kind: first.kind,
        key: first.key,
        window: first.window,
        parts: new Map(w.parts.map((p) => [p.from, p])),
        ex: w.ex,
      });
    }
    return d;
  }
}

function merge(w: Win, spec: WindowSpec): MergedWindow {
  let a = 0;
  let b = 0;
  let revision = 0;
  let tier: PartialOut['tier'];
  const sample = new Set<string>();
  for (const p of w.parts.values()) {
    a += p.a;
    b += p.b;
    revision += p.rev + 1;
    if (p.tier && (!tier || p.tier < tier)) tier = p.tier;
    for (const id of p.sample) sample.add(id);
  }
  return {
    key: w.key,
    startMs: w.window * spec.sizeMs,
    endMs: (w.window + 1) * spec.sizeMs,
    a,
    b,
    ...(tier ? { tier } : {}),
    sample: [...sample].sort().slice(0, SAMPLE_MAX),
    revision,
  };
}
