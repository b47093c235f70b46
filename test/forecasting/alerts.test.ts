import { describe, expect, it } from 'vitest';
import { forecastDeltaAlert } from '../../forecasting/alerts.ts';

const rule = { threshold: 0.2, minVolume: 5 };
const path = (runId: string, origin: number, perDay: number, days = 14) => ({
  runId,
  origin,
  mean: new Array<number>(days).fill(perDay),
});

describe('forecast-delta alerts', () => {
  it('fires when the next 7 days move by more than the threshold, comparing the same calendar days', () => {
    // Previous run a day earlier: its days 1..7 are the new run's days 0..6.
    const previous = { runId: 'r1', origin: 99, mean: [0, ...new Array<number>(13).fill(10)] };
    const alert = forecastDeltaAlert('A>B', '', path('r2', 100, 13), previous, rule);
    expect(alert?.previousVolume).toBe(70);
    expect(alert?.newVolume).toBe(91);
    expect(alert?.change).toBeCloseTo(0.3, 12);
    expect(alert?.direction).toBe('up');
    expect(alert?.windowStart).toBe(100);
    expect(alert?.windowEnd).toBe(106);
    expect(alert?.id).toBe(forecastDeltaAlert('A>B', '', path('r2', 100, 13), previous, rule)?.id);
  });

  it('stays quiet within the threshold, below the absolute minimum, or without a previous run', () => {
    expect(forecastDeltaAlert('A>B', '', path('r2', 100, 11.9), path('r1', 100, 10), rule)).toBeUndefined();
    // 1 → 1.6 a day is +60% but only +4.2 shipments over the week.
    expect(forecastDeltaAlert('A>B', '', path('r2', 100, 1.6), path('r1', 100, 1), rule)).toBeUndefined();
    expect(forecastDeltaAlert('A>B', '', path('r2', 100, 50), undefined, rule)).toBeUndefined();
  });

  it('fires downwards too, and does not compare days the previous run did not cover', () => {
    expect(forecastDeltaAlert('A>B', 'W1', path('r2', 100, 5), path('r1', 100, 10), rule)?.direction).toBe(
      'down',
    );
    expect(forecastDeltaAlert('A>B', '', path('r2', 100, 50), path('r1', 90, 10, 14), rule)).toBeUndefined();
  });
});
