import { probit } from 'simple-statistics';

/** Quantile function of the standard normal distribution (z for a two-sided level: p = 0.5 + level/2). */
export function inverseNormalCdf(p: number): number {
  return probit(p);
}
