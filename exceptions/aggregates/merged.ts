import type { CustomerTier } from '../types.ts';

/** A key's window with every partition's partial summed: what the aggregate rules decide on. */
export interface MergedWindow {
  readonly key: string;
  readonly startMs: number;
  readonly endMs: number;
  readonly a: number;
  readonly b: number;
  readonly tier?: CustomerTier;
  /** Up to 20 evidence ids (smallest first), merged from the partials' samples. */
  readonly sample: string[];
  /** Σ (partial revision + 1): grows with every partial change, so a revised decision gets a higher version. */
  readonly revision: number;
}
