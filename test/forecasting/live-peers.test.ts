import { describe, expect, it } from 'vitest';
import { SERVED_ROLE } from '../../forecasting/live-accuracy-queries.ts';
import { scoreLivePeers } from '../../forecasting/live-peers.ts';

/** The live served-vs-peers arithmetic on hand-made points (the store and route: live-accuracy.test.ts). */
/** A point; the served one carries an 80 % band of ±3 around its mean. */
const point = (lane: string, day: number, step: number, model: string, mean: number) => ({
  lane,
  warehouse: '',
  day,
  step,
  model,
  mean,
  bands: model === SERVED_ROLE ? [{ level: 80, lower: mean - 3, upper: mean + 3 }] : [],
});

describe('scoreLivePeers', () => {
  it('scores every forecast on the points they all have, names the best peer and the margin', () => {
    const actual = (_key: string, day: number) => (day === 1 ? 10 : 20);
    const points = [
      point('A>B', 1, 1, SERVED_ROLE, 11),
      point('A>B', 1, 1, 'naive', 14),
      point('A>B', 1, 1, 'seasonal-naive', 5),
      point('A>B', 2, 1, SERVED_ROLE, 18),
      point('A>B', 2, 1, 'naive', 20),
      point('A>B', 2, 1, 'seasonal-naive', 30),
      // Only the served forecast has day 3: it is not compared (a peer missing a day cannot lose or win it).
      point('A>B', 3, 1, SERVED_ROLE, 100),
      // A lane where naive beats the served forecast.
      point('C>D', 1, 2, SERVED_ROLE, 0),
      point('C>D', 1, 2, 'naive', 11),
      point('C>D', 1, 2, 'seasonal-naive', 12),
    ];
    const { lanes, network } = scoreLivePeers(points, ['naive', 'seasonal-naive'], actual);
    const ab = lanes.find((l) => l.lane === 'A>B');
    // served |10−11| + |20−18| = 3, naive 4 + 0 = 4, seasonal naive 5 + 10 = 15, over Σa = 30.
    expect(ab).toMatchObject({ points: 2, actual: 30, bestPeer: 'naive' });
    expect(ab?.served).toBeCloseTo(3 / 30, 12);
    expect(ab?.peers.map((p) => p.model)).toEqual(['naive', 'seasonal-naive']);
    expect(ab?.servedVsBestPeer).toBeCloseTo(1 - 3 / 4, 12);
    // 10 in 8..14 and 20 in 15..21: both days inside the served band (day 3 not compared).
    expect(ab?.coverage).toEqual({ '80': 1 });
    const cd = lanes.find((l) => l.lane === 'C>D');
    // served |10−0| = 10 against naive's 1.
    expect(cd).toMatchObject({ bestPeer: 'naive', servedVsBestPeer: 1 - 10 / 1 });
    // Pooled: served 3 + 10, naive 4 + 1, seasonal naive 15 + 2, over Σa = 40.
    expect(network).toMatchObject({
      points: 3,
      actual: 40,
      lanes: 2,
      lanesServedBetter: 1,
      bestPeer: 'naive',
    });
    expect(network.served).toBeCloseTo(13 / 40, 12);
    expect(network.servedVsBestPeer).toBeCloseTo(1 - 13 / 5, 12);
    expect(network.peers.map((p) => p.wape)).toEqual([5 / 40, 17 / 40]);
    // C>D's 10 is outside −3..3: two of the three points inside.
    expect(network.coverage).toEqual({ '80': 2 / 3 });
  });

  it('has no margin when the best peer is exact or nothing was compared', () => {
    const exact = scoreLivePeers(
      [point('A>B', 1, 1, SERVED_ROLE, 9), point('A>B', 1, 1, 'naive', 10)],
      ['naive'],
      () => 10,
    );
    expect(exact.network.servedVsBestPeer).toBeNull();
    const none = scoreLivePeers([point('A>B', 1, 1, SERVED_ROLE, 9)], ['naive'], () => 10);
    expect(none.lanes).toEqual([]);
    expect(none.network).toMatchObject({ points: 0, served: null, bestPeer: null, servedVsBestPeer: null });
  });
});
