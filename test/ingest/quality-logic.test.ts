import { describe, expect, it } from 'vitest';
import { findingsOf, parseEvent } from '../../core/mod.ts';
import { budgetRows, gaugeSeries } from '../../ingest/quality-budget.ts';
import { feedReports } from '../../ingest/quality-feeds.ts';

const commit = (shipBy: string, deliverBy?: string) =>
  parseEvent({
    id: 'c1',
    type: 'shipment.committed',
    occurredAt: '2026-03-02T08:00:00Z',
    source: 'olist',
    shipmentId: 'S1',
    customerId: 'C1',
    customerTier: 'tier2',
    warehouseId: 'WH1',
    lane: 'SP>RJ',
    promisedShipBy: shipBy,
    ...(deliverBy ? { promisedDeliverBy: deliverBy } : {}),
  });

describe('findingsOf', () => {
  it('finds a delivery promised before the ship-by time, naming field, value and both promises', () => {
    const f = findingsOf(commit('2026-03-05T18:00:00Z', '2026-03-04T00:00:00+02:00'));
    expect(f).toEqual([
      {
        code: 'COMMITMENT_INCONSISTENT',
        field: 'promisedDeliverBy',
        value: '2026-03-04T00:00:00+02:00',
        reason:
          'promisedDeliverBy 2026-03-04T00:00:00+02:00 is before promisedShipBy 2026-03-05T18:00:00Z; both promises are checked on their own',
      },
    ]);
  });

  it('finds nothing in consistent commitments (equal times, no delivery promise) or other events', () => {
    expect(findingsOf(commit('2026-03-05T18:00:00Z', '2026-03-05T20:00:00+02:00'))).toEqual([]);
    expect(findingsOf(commit('2026-03-05T18:00:00Z', '2026-03-05T18:00:00Z'))).toEqual([]);
    expect(findingsOf(commit('2026-03-05T18:00:00Z'))).toEqual([]);
    // Offsets count: 19:00+02:00 is 17:00Z, before 18:00Z.
    expect(findingsOf(commit('2026-03-05T18:00:00Z', '2026-03-05T19:00:00+02:00'))).toHaveLength(1);
    expect(findingsOf({ type: 'tms.pod', promisedShipBy: 'x', promisedDeliverBy: 'y' })).toEqual([]);
  });
});

describe('feedReports', () => {
  const learn = { minDeliveries: 5 };

  it('learns sends / none / unknown from the counts, and says whether missing_pod applies, in words', () => {
    const r = feedReports(
      [
        { source: 'olist', deliveries: 9, pods: 0 },
        { source: 'carrier', deliveries: 9, pods: 4 },
        { source: 'new', deliveries: 1, pods: 0 },
        { source: '', deliveries: 6, pods: 0 },
      ],
      { sources: {}, learn },
    );
    const by = Object.fromEntries(r.map((f) => [f.source, f]));
    expect(by.olist).toMatchObject({ state: 'none', missingPod: 'off', declared: false, declaredPod: null });
    expect(by.olist?.text).toBe('source olist sends no PODs: missing_pod is off for it');
    expect(by.carrier).toMatchObject({ state: 'sends', missingPod: 'on' });
    expect(by.carrier?.text).toBe('source carrier sends PODs: missing_pod is on for it');
    expect(by.new).toMatchObject({ state: 'unknown', missingPod: 'off' });
    expect(by.new?.text).toBe(
      'source new has reported 1 delivery and no POD yet (judged after 5): missing_pod is off for it until a POD arrives',
    );
    expect(by['(unnamed)']?.state).toBe('none');
    expect(r.map((f) => f.source)).toEqual(['(unnamed)', 'carrier', 'new', 'olist']);
  });

  it('a declaration wins over what was learned, and a declared source is listed before its first delivery', () => {
    const r = feedReports([{ source: 'edi', deliveries: 3, pods: 2 }], {
      sources: { edi: { pod: false }, tms: { pod: true }, plain: {} },
      learn,
    });
    const by = Object.fromEntries(r.map((f) => [f.source, f]));
    expect(by.edi).toMatchObject({ state: 'sends', declared: true, declaredPod: false, missingPod: 'off' });
    expect(by.edi?.text).toBe(
      'source edi sends no PODs (declared in DOCKSIDE_FEEDS_FILE): missing_pod is off for it',
    );
    expect(by.tms).toMatchObject({ deliveries: 0, declared: true, missingPod: 'on' });
    expect(by.tms?.text).toBe(
      'source tms sends PODs (declared in DOCKSIDE_FEEDS_FILE): missing_pod is on for it',
    );
    // Listed without declaring `pod`: learned like any other source.
    expect(by.plain).toMatchObject({ declared: false, state: 'unknown', missingPod: 'off' });
  });
});

describe('alert budget arithmetic', () => {
  it('rates per 100 shipments of the same subject, highest first; no shipments: no rate', () => {
    const rows = budgetRows({
      exceptions: [
        { type: 'late_scan', subject: 'a', n: 3 },
        { type: 'short_pick', subject: 'a', n: 1 },
        { type: 'late_scan', subject: 'b', n: 1 },
        { type: 'inventory_mismatch', subject: '', n: 2 },
      ],
      shipments: [
        { subject: 'a', n: 12 },
        { subject: 'b', n: 2 },
        { subject: 'c', n: 40 },
      ],
    });
    expect(rows).toEqual([
      { type: 'late_scan', subject: 'b', exceptions: 1, shipments: 2, per100: 50 },
      { type: 'late_scan', subject: 'a', exceptions: 3, shipments: 12, per100: 25 },
      { type: 'short_pick', subject: 'a', exceptions: 1, shipments: 12, per100: 100 / 12 },
      { type: 'inventory_mismatch', subject: '(none)', exceptions: 2, shipments: 0, per100: null },
    ]);
  });

  it('exports at most `cap` subjects by shipments; the rest is one (other) series per type', () => {
    const exceptions = Array.from({ length: 25 }, (_, i) => ({ type: 'late_scan', subject: `s${i}`, n: 1 }));
    // s0 has the fewest shipments (1), s24 the most (25).
    const shipments = Array.from({ length: 25 }, (_, i) => ({ subject: `s${i}`, n: i + 1 }));
    const series = gaugeSeries(budgetRows({ exceptions, shipments }), 20);
    expect(series).toHaveLength(21);
    const other = series.find((s) => s.subject === '(other)');
    // s0..s4: 5 exceptions over 1+2+3+4+5 = 15 shipments.
    expect(other?.value).toBeCloseTo((100 * 5) / 15, 10);
    expect(series.some((s) => s.subject === 's4')).toBe(false);
    expect(series.find((s) => s.subject === 's24')?.value).toBeCloseTo(4, 10);
  });
});
