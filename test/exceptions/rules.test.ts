import { describe, expect, it } from 'vitest';
import { loadPolicy } from '../../core/mod.ts';
import { templatePolicy } from '../helpers/env.ts';
import { detect, ev, HOUR, MIN, ofType, policyOf, T0 } from './support/build.ts';

const END = T0 + 30 * 24 * HOUR;

describe('late_scan (absence, fired by the watermark)', () => {
  it('fires at promisedShipBy + 60 min when no scan came, with the deadline as occurredAt', () => {
    const { finals } = detect([ev.commit('S1', T0, { shipBy: T0 + HOUR })], { endMs: T0 + 2 * HOUR });
    const [ex] = ofType(finals, 'late_scan');
    expect(finals).toHaveLength(1);
    expect(ex?.status).toBe('open');
    expect(ex?.occurredAt).toBe(new Date(T0 + 2 * HOUR).toISOString());
    expect(ex?.customerTier).toBe('tier2');
  });
  it('does not fire before the deadline, nor when the scan came in time', () => {
    expect(
      ofType(
        detect([ev.commit('S1', T0, { shipBy: T0 + HOUR })], { endMs: T0 + 2 * HOUR - 1 }).finals,
        'late_scan',
      ),
    ).toEqual([]);
    const onTime = detect([ev.commit('S1', T0, { shipBy: T0 + HOUR }), ev.scan('S1', T0 + 90 * MIN)], {
      endMs: END,
    });
    expect(ofType(onTime.finals, 'late_scan')).toEqual([]);
  });
  it('is resolved as "scan arrived late" by a scan after the deadline', () => {
    // X moves the (single) partition's watermark past S1's deadline before S1's scan arrives.
    const { finals, changes } = detect(
      [
        ev.commit('S1', T0, { shipBy: T0 + HOUR }),
        ev.commit('X', T0 + 3 * HOUR),
        ev.scan('S1', T0 + 5 * HOUR),
      ],
      { endMs: END, partitions: 1 },
    );
    expect(
      ofType(changes, 'late_scan')
        .filter((e) => e.shipmentId === 'S1')
        .map((e) => e.status),
    ).toEqual(['open', 'resolved']);
    expect(ofType(finals, 'late_scan')[0]?.resolution).toBe('scan arrived late');
  });
  it('takes the tier override from the policy (customer_tiers.<tier>.minutes_past_sla)', () => {
    const policy = policyOf(
      `version: 1\npolicy_name: t\nthresholds:\n  late_scan:\n    minutes_past_sla: 60\n    customer_tiers:\n      tier1:\n        minutes_past_sla: 15\n`,
    );
    const events = [
      ev.commit('A', T0, { shipBy: T0 + HOUR, tier: 'tier1' }),
      ev.commit('B', T0, { shipBy: T0 + HOUR, tier: 'tier3' }),
    ];
    const { finals } = detect(events, { endMs: T0 + HOUR + 20 * MIN, policy });
    expect(ofType(finals, 'late_scan').map((e) => e.shipmentId)).toEqual(['A']);
    expect(ofType(finals, 'late_scan')[0]?.severity).toBe('high');
  });
  it('a scan from before the deadline that arrives late is flagged late and retracts the exception', () => {
    const { finals, late } = detect(
      [
        ev.commit('S1', T0, { shipBy: T0 + HOUR }),
        ev.commit('X', T0 + 3 * HOUR),
        ev.scan('S1', T0 + 30 * MIN),
      ],
      { endMs: END, partitions: 1 },
    );
    expect(late).toBe(1);
    const [ex] = ofType(finals, 'late_scan');
    expect(ex?.status).toBe('resolved');
    expect(ex?.resolution).toMatch(/^retracted/);
  });
  it('confidence: 0.92 when the WMS saw the shipment (a pick), 0.81 when it saw nothing', () => {
    const seen = detect([ev.commit('S1', T0, { shipBy: T0 + HOUR }), ev.pick('S1', T0 + 10 * MIN, 2, 2)], {
      endMs: END,
    });
    const unseen = detect([ev.commit('S1', T0, { shipBy: T0 + HOUR })], { endMs: END });
    expect(ofType(seen.finals, 'late_scan')[0]?.confidence).toBe(0.92);
    expect(ofType(unseen.finals, 'late_scan')[0]?.confidence).toBe(0.81);
    // The template's write-back gates: tier1 needs 0.78 (passes), tier3 needs 0.85 (does not).
    const template = loadPolicy(templatePolicy);
    const gate = (tier: 'tier1' | 'tier3') =>
      (template.thresholds.late_scan?.customer_tiers?.[tier]?.writeback?.confidence_min ?? 1) <= 0.81;
    expect([gate('tier1'), gate('tier3')]).toEqual([true, false]);
  });
});

describe('event-triggered types', () => {
  it('short_pick fires on the pick; a pick before its commitment is enriched to the same final content', () => {
    const inOrder = detect([ev.commit('S1', T0, { id: 'c1' }), ev.pick('S1', T0 + MIN, 10, 4, 'p1')]);
    const reversed = detect([ev.pick('S1', T0 + MIN, 10, 4, 'p1'), ev.commit('S1', T0, { id: 'c1' })]);
    const a = ofType(inOrder.finals, 'short_pick');
    expect(a).toHaveLength(1);
    expect(a[0]?.severity).toBe('high');
    expect(a[0]?.customerId).toBe('C1');
    const strip = (l: typeof a) => l.map(({ detectedAt: _, ...r }) => r);
    expect(strip(ofType(reversed.finals, 'short_pick'))).toEqual(strip(a));
    expect(ofType(reversed.changes, 'short_pick').map((e) => e.customerId)).toEqual([undefined, 'C1']);
  });
  it('inventory_mismatch at variance ≥ variance_units_min (5 by default, policy-overridable)', () => {
    expect(ofType(detect([ev.count('WH1', T0, 45, 50)]).finals, 'inventory_mismatch')).toHaveLength(1);
    expect(ofType(detect([ev.count('WH1', T0, 46, 50)]).finals, 'inventory_mismatch')).toHaveLength(0);
    const policy = policyOf(
      'version: 1\npolicy_name: t\nthresholds:\n  inventory_mismatch:\n    variance_units_min: 10\n',
    );
    expect(
      ofType(detect([ev.count('WH1', T0, 45, 50)], { policy }).finals, 'inventory_mismatch'),
    ).toHaveLength(0);
  });
  it('tender_rejected fires on the rejection and resolves when another carrier accepts', () => {
    const { changes } = detect([
      ev.tender('L1', T0, 'K1'),
      ev.response('L1', T0 + MIN, 'K1', false),
      ev.response('L1', T0 + 9 * MIN, 'K2', true),
    ]);
    expect(ofType(changes, 'tender_rejected').map((e) => e.status)).toEqual(['open', 'resolved']);
  });
  it('carrier_delay_reported: medium for delayed, high for exception, resolved by the delivery', () => {
    const delayed = detect([ev.status('S1', T0, 'delayed')]);
    expect(ofType(delayed.finals, 'carrier_delay_reported')[0]?.severity).toBe('medium');
    const hard = detect([ev.status('S1', T0, 'exception'), ev.status('S1', T0 + HOUR, 'delivered')]);
    const [ex] = ofType(hard.finals, 'carrier_delay_reported');
    expect([ex?.severity, ex?.status]).toEqual(['high', 'resolved']);
  });
  it('delivery_at_risk fires on an ETA past promisedDeliverBy and resolves on delivery', () => {
    const deliverBy = T0 + 72 * HOUR;
    const { changes } = detect([
      ev.commit('S1', T0, { deliverBy }),
      ev.status('S1', T0 + 24 * HOUR, 'departed', deliverBy + 10 * HOUR),
      ev.status('S1', deliverBy + 9 * HOUR, 'delivered'),
    ]);
    expect(ofType(changes, 'delivery_at_risk').map((e) => e.status)).toEqual(['open', 'resolved']);
    expect(
      ofType(
        detect([ev.commit('S1', T0, { deliverBy }), ev.status('S1', T0 + HOUR, 'departed', deliverBy - HOUR)])
          .finals,
        'delivery_at_risk',
      ),
    ).toEqual([]);
  });
  it('late_delivery when the first delivered status is after promisedDeliverBy', () => {
    const deliverBy = T0 + 72 * HOUR;
    const late = detect(
      [ev.commit('S1', T0, { deliverBy }), ev.status('S1', deliverBy + 26 * HOUR, 'delivered')],
      { endMs: END },
    );
    const [ex] = ofType(late.finals, 'late_delivery');
    expect(ex?.details).toMatchObject({ hoursLate: 26 });
    expect(
      ofType(
        detect([ev.commit('S1', T0, { deliverBy }), ev.status('S1', deliverBy - HOUR, 'delivered')], {
          endMs: END,
        }).finals,
        'late_delivery',
      ),
    ).toEqual([]);
  });
});

describe('absence types', () => {
  it('tender_unanswered after response_window_minutes (120); a late answer resolves it', () => {
    const { changes } = detect(
      [
        ev.tender('L1', T0, 'K1'),
        ev.tender('L2', T0 + 3 * HOUR, 'K9'),
        ev.response('L1', T0 + 150 * MIN, 'K1', true),
      ],
      { endMs: T0 + 4 * HOUR, partitions: 1 },
    );
    expect(
      ofType(changes, 'tender_unanswered')
        .filter((e) => e.details.loadId === 'L1')
        .map((e) => e.status),
    ).toEqual(['open', 'resolved']);
    expect(
      ofType(
        detect([ev.tender('L1', T0, 'K1'), ev.response('L1', T0 + 60 * MIN, 'K1', true)], { endMs: END })
          .finals,
        'tender_unanswered',
      ),
    ).toEqual([]);
  });
  it('missed_pickup: scanned, carrier named, no pickup status by promisedShipBy + 120 min', () => {
    const shipBy = T0 + 2 * HOUR;
    const events = [ev.commit('S1', T0, { shipBy, carrier: 'K1' }), ev.scan('S1', T0 + HOUR)];
    expect(ofType(detect(events, { endMs: END }).finals, 'missed_pickup')).toHaveLength(1);
    expect(
      ofType(
        detect([...events, ev.status('S1', shipBy + HOUR, 'picked_up')], { endMs: END }).finals,
        'missed_pickup',
      ),
    ).toEqual([]);
    const noCarrier = [ev.commit('S1', T0, { shipBy }), ev.scan('S1', T0 + HOUR)];
    expect(ofType(detect(noCarrier, { endMs: END }).finals, 'missed_pickup')).toEqual([]);
  });
  it('missing_pod 24 h after delivery; a late POD resolves it (a feed declared to send PODs)', () => {
    const d = T0 + 48 * HOUR;
    // The events' source `test` is declared to send PODs (feeds.test.ts covers learned feeds).
    const feeds = { sources: { test: { pod: true } }, learn: { minDeliveries: 50 } };
    expect(
      ofType(
        detect([ev.status('S1', d, 'delivered')], { endMs: d + 25 * HOUR, feeds }).finals,
        'missing_pod',
      ),
    ).toHaveLength(1);
    expect(
      ofType(
        detect([ev.status('S1', d, 'delivered'), ev.pod('S1', d + HOUR)], { endMs: END, feeds }).finals,
        'missing_pod',
      ),
    ).toEqual([]);
    const late = detect(
      [ev.status('S1', d, 'delivered'), ev.commit('X', d + 30 * HOUR), ev.pod('S1', d + 40 * HOUR)],
      { endMs: END, partitions: 1, feeds },
    );
    expect(ofType(late.finals, 'missing_pod')[0]?.resolution).toBe('POD arrived late');
  });
  it('excessive_dwell when arrived without departing for max_dwell_minutes (240)', () => {
    const long = detect([ev.status('S1', T0, 'arrived'), ev.status('S1', T0 + 5 * HOUR, 'departed')], {
      endMs: END,
    });
    expect(ofType(long.finals, 'excessive_dwell')[0]?.status).toBe('resolved');
    expect(
      ofType(
        detect([ev.status('S1', T0, 'arrived'), ev.status('S1', T0 + HOUR, 'departed')], { endMs: END })
          .finals,
        'excessive_dwell',
      ),
    ).toEqual([]);
  });
  it('a cancellation before the deadline clears pending deadlines', () => {
    const events = [
      ev.commit('S1', T0, { shipBy: T0 + HOUR, carrier: 'K1' }),
      ev.cancel('S1', T0 + 10 * MIN),
    ];
    expect(detect(events, { endMs: END }).finals).toEqual([]);
  });
});

describe('windowed aggregates (two stages: partials per partition, decided per key)', () => {
  const week = Date.parse('2026-03-05T00:00:00Z'); // windows are aligned to the epoch: a Thursday
  it('wismo_spike above 12 contacts per 100 orders, with at least 20 orders', () => {
    const orders = Array.from({ length: 25 }, (_, i) =>
      ev.commit(`W${i}`, week + i * HOUR, { customer: 'CX' }),
    );
    const contacts = Array.from({ length: 5 }, (_, i) =>
      ev.contact('CX', week + (30 + i) * HOUR, i % 2 ? `W${i}` : undefined),
    );
    const spike = detect([...orders, ...contacts], { endMs: week + 8 * 24 * HOUR, partitions: 4 });
    const [ex] = ofType(spike.finals, 'wismo_spike');
    expect(ex?.details).toMatchObject({ orders: 25, wismoContacts: 5, ratePer100: 20 });
    expect(ex?.evidence).toHaveLength(5);
    const calm = detect([...orders, ...contacts.slice(0, 3)], { endMs: week + 8 * 24 * HOUR, partitions: 4 });
    expect(ofType(calm.finals, 'wismo_spike')).toEqual([]);
  });
  it('scan_coverage_low when fewer than 85% of due shipments were scanned', () => {
    const day = Date.parse('2026-03-10T00:00:00Z');
    const due = Array.from({ length: 25 }, (_, i) =>
      ev.commit(`V${i}`, day + i * MIN, { shipBy: day + 2 * HOUR, wh: 'WHX' }),
    );
    const scans = (k: number) => Array.from({ length: k }, (_, i) => ev.scan(`V${i}`, day + HOUR));
    const low = detect([...due, ...scans(20)], { endMs: day + 3 * 24 * HOUR, partitions: 4 });
    expect(ofType(low.finals, 'scan_coverage_low')[0]?.details).toMatchObject({
      due: 25,
      scanned: 20,
      coverage: 0.8,
    });
    expect(
      ofType(
        detect([...due, ...scans(22)], { endMs: day + 3 * 24 * HOUR, partitions: 4 }).finals,
        'scan_coverage_low',
      ),
    ).toEqual([]);
  });
});
