import { describe, expect, it } from 'vitest';
import { choose, PENALTY, ROBUST, SHRINK } from '../../forecasting/combine.ts';

const scores = (mae: Record<string, number>) =>
  new Map(Object.entries(mae).map(([name, m]) => [name, { absError: m * 28, points: 28 }]));

describe('selection and ensemble weights from the inner windows', () => {
  const candidates = ['naive', 'seasonal-naive', 'weekly-profile', 'level-profile', 'mstl', 'tf-global'];

  it('a model outside the robust core must beat the best robust one by the penalty to be selected', () => {
    expect(ROBUST).toContain('level-profile');
    const close = choose(scores({ naive: 1.0, 'level-profile': 1.0 * (1 + PENALTY) - 0.01 }), candidates);
    expect(close.selected).toBe('level-profile');
    const clear = choose(scores({ naive: 1.0, 'level-profile': 1.0 * (1 + PENALTY) + 0.01 }), candidates);
    expect(clear.selected).toBe('naive');
  });

  it('the ensemble is the inverse-error top 3, shrunk towards equal weights on the robust models', () => {
    const mae = {
      naive: 1,
      'seasonal-naive': 2,
      'weekly-profile': 4,
      'level-profile': 5,
      mstl: 6,
      'tf-global': 8,
    };
    const c = choose(scores(mae), candidates);
    const inv = { naive: 1, 'seasonal-naive': 1 / 2, 'weekly-profile': 1 / 4 };
    const invSum = inv.naive + inv['seasonal-naive'] + inv['weekly-profile'];
    const core = 4; // weekly-profile, level-profile, mstl, tf-global all ran
    expect(c.weights.naive).toBeCloseTo(((1 - SHRINK) * inv.naive) / invSum, 12);
    expect(c.weights['weekly-profile']).toBeCloseTo(
      ((1 - SHRINK) * inv['weekly-profile']) / invSum + SHRINK / core,
      12,
    );
    expect(c.weights.mstl).toBeCloseTo(SHRINK / core, 12);
    expect(Object.values(c.weights).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });

  it('without robust candidates the ensemble is the plain inverse-error top 3', () => {
    const c = choose(scores({ naive: 1, 'seasonal-naive': 1 }), ['naive', 'seasonal-naive']);
    expect(c.weights).toEqual({ naive: 0.5, 'seasonal-naive': 0.5 });
    expect(c.selected).toBe('naive');
  });
});
