import { describe, expect, it } from 'vitest';
import { type CanonicalEvent, type DetectedException, parseEvent } from '../../core/mod.ts';
import { buildCustomerUpdate, type CustomerUpdateDraft } from '../../writeback/notify/draft.ts';
import { DraftUnavailableError, UncitedStatementError } from '../../writeback/notify/errors.ts';

const NOW = '2026-12-03T16:00:00Z';
const opts = { piiRedaction: true, requireCitations: true, now: NOW };

const base = { schemaVersion: 1, source: 'test' };
const E = {
  commit: parseEvent({
    ...base,
    id: 'e-commit',
    type: 'shipment.committed',
    occurredAt: '2026-12-02T09:00:00Z',
    shipmentId: 'SHP-9',
    orderId: 'ORD-1',
    customerId: 'CUST-001',
    customerTier: 'tier1',
    warehouseId: 'WH-ATL1',
    lane: 'ATL-MEM',
    carrierId: 'CARR-1',
    promisedShipBy: '2026-12-03T14:00:00Z',
    promisedDeliverBy: '2026-12-04T18:00:00Z',
  }),
  pack: parseEvent({
    ...base,
    id: 'e-pack',
    type: 'wms.pack',
    occurredAt: '2026-12-03T12:10:00Z',
    shipmentId: 'SHP-9',
    warehouseId: 'WH-ATL1',
  }),
  scan: parseEvent({
    ...base,
    id: 'e-scan',
    type: 'wms.ship_scan',
    occurredAt: '2026-12-03T15:20:00Z',
    shipmentId: 'SHP-9',
    warehouseId: 'WH-ATL1',
  }),
  delay: parseEvent({
    ...base,
    id: 'e-delay',
    type: 'tms.status',
    occurredAt: '2026-12-04T08:00:00Z',
    shipmentId: 'SHP-9',
    status: 'delayed',
    location: 'Memphis, TN',
    eta: '2026-12-05T17:00:00Z',
  }),
  delay2: parseEvent({
    ...base,
    id: 'e-delay2',
    type: 'tms.status',
    occurredAt: '2026-12-04T12:00:00Z',
    shipmentId: 'SHP-9',
    status: 'exception',
    location: 'Nashville, TN',
  }),
  delivered: parseEvent({
    ...base,
    id: 'e-delivered',
    type: 'tms.status',
    occurredAt: '2026-12-05T16:30:00Z',
    shipmentId: 'SHP-9',
    status: 'delivered',
    location: 'Atlanta, GA',
  }),
  pickup: parseEvent({
    ...base,
    id: 'e-pickup',
    type: 'tms.status',
    occurredAt: '2026-12-03T18:00:00Z',
    shipmentId: 'SHP-9',
    status: 'picked_up',
  }),
  shortPick: parseEvent({
    ...base,
    id: 'e-pick',
    type: 'wms.pick',
    occurredAt: '2026-12-03T11:00:00Z',
    shipmentId: 'SHP-9',
    warehouseId: 'WH-ATL1',
    sku: 'SKU-123',
    qtyOrdered: 10,
    qtyPicked: 8,
  }),
  tender: parseEvent({
    ...base,
    id: 'e-tender',
    type: 'tms.tender',
    occurredAt: '2026-12-02T10:00:00Z',
    loadId: 'LD-1',
    carrierId: 'CARR-1',
    shipmentIds: ['SHP-9'],
  }),
  reject: parseEvent({
    ...base,
    id: 'e-reject',
    type: 'tms.tender_response',
    occurredAt: '2026-12-02T11:00:00Z',
    loadId: 'LD-1',
    carrierId: 'CARR-1',
    accepted: false,
    reason: 'no capacity',
  }),
  other: parseEvent({
    ...base,
    id: 'e-other',
    type: 'wms.ship_scan',
    occurredAt: '2026-12-03T10:00:00Z',
    shipmentId: 'SHP-77',
    warehouseId: 'WH-ATL1',
  }),
} satisfies Record<string, CanonicalEvent>;

const ex = (o: Partial<DetectedException> = {}): DetectedException => ({
  id: 'late_scan:0123abcdef',
  type: 'late_scan',
  status: 'open',
  severity: 'high',
  confidence: 0.9,
  detectedAt: '2026-12-03T15:01:00Z',
  occurredAt: '2026-12-03T15:00:00Z',
  evidence: ['e-commit'],
  shipmentId: 'SHP-9',
  warehouseId: 'WH-ATL1',
  customerId: 'CUST-001',
  customerTier: 'tier1',
  details: {},
  version: 1e13,
  ...o,
});

/** The guarantees every draft must keep, whatever the template. */
function checkCitations(d: CustomerUpdateDraft, given: readonly CanonicalEvent[], exceptionId: string) {
  const ids = new Set(given.map((e) => e.id));
  expect(d.statements.length).toBeGreaterThan(0);
  for (const s of d.statements) {
    expect(s.citations.length, s.text).toBeGreaterThanOrEqual(1);
    for (const c of s.citations) expect(ids.has(c), `${c} cited by "${s.text}"`).toBe(true);
  }
  const cited = new Set(d.statements.flatMap((s) => s.citations));
  expect(d.sources.map((s) => s.eventId).sort()).toEqual([...cited].sort());
  for (const s of d.sources) expect(d.text).toContain(`[${s.n}] ${s.eventId}: ${s.type} at `);
  // Nothing internal reaches the customer.
  expect(d.text).not.toMatch(/confidence|policy|exception|dockside/i);
  expect(d.text).not.toContain(exceptionId);
  expect(d.subject).not.toMatch(/confidence|policy|exception|dockside/i);
}

describe('customer update drafts', () => {
  it('late_scan, open: the commitment, the last warehouse step, and that no ship scan came since, each cited', () => {
    const given = [E.commit, E.pack, E.other];
    const d = buildCustomerUpdate(ex(), given, opts);
    checkCitations(d, given, 'late_scan:0123abcdef');
    expect(d.template).toBe('late_scan.v1');
    expect(d.subject).toBe('Update on your order ORD-1');
    const [first, second, third] = d.statements;
    expect(first?.text).toContain('ORD-1');
    expect(first?.text).toContain('SHP-9');
    expect(first?.text).toContain('WH-ATL1');
    expect(first?.text).toContain('14:00 UTC on 3 Dec');
    expect(first?.citations).toEqual(['e-commit']);
    expect(second?.text).toMatch(/packed at the warehouse at 12:10 UTC on 3 Dec/);
    expect(third?.text).toMatch(/No ship scan has been recorded/);
    expect(third?.citations).toEqual(['e-commit', 'e-pack']);
    // Another shipment's event is neither used nor listed.
    expect(d.text).not.toContain('e-other');
    expect(d.text).toMatch(/14:00 UTC on 3 Dec \[1\]\./);
    expect(d.text).toMatch(/\[1\]\[2\]\./);
  });

  it('late_scan with the scan arrived late: states the scan, never "no ship scan"', () => {
    const given = [E.commit, E.scan];
    const d = buildCustomerUpdate(ex({ evidence: ['e-commit', 'e-scan'] }), given, opts);
    checkCitations(d, given, 'late_scan:0123abcdef');
    expect(d.text).not.toMatch(/No ship scan/);
    const scan = d.statements.find((s) => s.citations.includes('e-scan'));
    expect(scan?.text).toMatch(/scanned out at warehouse WH-ATL1 at 15:20 UTC on 3 Dec/);
  });

  it('numbers sources in the exception’s evidence order, whatever order the events come in', () => {
    const given = [E.delay2, E.delay, E.commit];
    const d = buildCustomerUpdate(
      ex({
        id: 'carrier_delay_reported:77',
        type: 'carrier_delay_reported',
        evidence: ['e-commit', 'e-delay', 'e-delay2'],
      }),
      given,
      opts,
    );
    checkCitations(d, given, 'carrier_delay_reported:77');
    expect(d.template).toBe('carrier_delay_reported.v1');
    expect(d.sources.map((s) => [s.n, s.eventId])).toEqual([
      [1, 'e-commit'],
      [2, 'e-delay'],
      [3, 'e-delay2'],
    ]);
    expect(d.text).toContain(
      'The carrier reported a delay at Memphis, TN; new estimated delivery 5 Dec [2].',
    );
    expect(d.text).toContain('The carrier reported a problem in transit at Nashville, TN [3].');
    expect(d.text.indexOf('[1] e-commit')).toBeLessThan(d.text.indexOf('[2] e-delay'));
  });

  it('redacts an e-mail and a phone planted in a status location and a cancellation reason', () => {
    const location = parseEvent({
      ...base,
      id: 'e-delay-pii',
      type: 'tms.status',
      occurredAt: '2026-12-04T08:00:00Z',
      shipmentId: 'SHP-9',
      status: 'delayed',
      location: 'Memphis, TN, driver Joe +1 (901) 555-0199',
      eta: '2026-12-05T17:00:00Z',
      notes: 'dispatcher: ops.desk@carrier.example',
    });
    const cancel = parseEvent({
      ...base,
      id: 'e-cancel',
      type: 'shipment.cancelled',
      occurredAt: '2026-12-03T15:30:00Z',
      shipmentId: 'SHP-9',
      reason: 'buyer asked by mail (jane.doe@acme.example, 555-123-4567)',
    });
    const delay = ex({
      id: 'carrier_delay_reported:9',
      type: 'carrier_delay_reported',
      evidence: ['e-commit', 'e-delay-pii'],
    });
    const scanLate = ex({ evidence: ['e-commit', 'e-cancel'] });

    const d1 = buildCustomerUpdate(delay, [E.commit, location], opts);
    checkCitations(d1, [E.commit, location], delay.id);
    expect(d1.text).not.toContain('555-0199');
    expect(d1.text).toContain('Memphis, TN, driver Joe [phone]');
    expect(d1.text).toContain('(carrier note: "dispatcher: [email]")');
    expect(d1.text).not.toContain('ops.desk@');
    expect(d1.redactions.text).toMatchObject({ phone: 1, email: 1 });
    // The inputs kept for the log are redacted too, with the ids the citations point at intact.
    const kept = d1.inputs.events.find((e) => e.id === 'e-delay-pii');
    expect(kept && 'location' in kept ? kept.location : undefined).toBe('Memphis, TN, driver Joe [phone]');

    const d2 = buildCustomerUpdate(scanLate, [E.commit, cancel], opts);
    checkCitations(d2, [E.commit, cancel], scanLate.id);
    expect(d2.text).not.toContain('jane.doe');
    expect(d2.text).not.toContain('555-123-4567');
    expect(d2.text).toContain('[email]');
    expect(d2.redactions.text).toMatchObject({ email: 1, phone: 1 });

    // Without the policy's redaction the same facts come through unchanged: the switch is what masks them.
    const raw = buildCustomerUpdate(scanLate, [E.commit, cancel], { ...opts, piiRedaction: false });
    expect(raw.text).toContain('jane.doe@acme.example');
    expect(raw.inputs.events.find((e) => e.id === 'e-cancel')).toEqual(cancel);
  });

  it('a statement without a citation: UncitedStatementError when citations are required, else written uncited', () => {
    // The commitment is in the evidence but could not be read: only the exception itself speaks.
    const e = ex();
    const err = (() => {
      try {
        buildCustomerUpdate(e, [], opts);
      } catch (x) {
        return x;
      }
    })();
    expect(err).toBeInstanceOf(UncitedStatementError);
    expect(err).toMatchObject({ code: 'DRAFT_UNCITED', exceptionId: e.id, template: 'late_scan.v1' });

    const loose = buildCustomerUpdate(e, [], { ...opts, requireCitations: false });
    expect(loose.statements).toEqual([
      { text: 'Your shipment SHP-9 has not left the warehouse as planned.', citations: [] },
    ]);
    expect(loose.text).not.toContain('Sources');
    expect(loose.text).not.toContain('[');
  });

  it('the id is deterministic from the exception id and version', () => {
    const a = buildCustomerUpdate(ex(), [E.commit], opts);
    const b = buildCustomerUpdate(ex(), [E.commit, E.pack], { ...opts, now: '2027-01-01T00:00:00Z' });
    const c = buildCustomerUpdate(ex({ version: 3e13 }), [E.commit], opts);
    expect(a.id).toMatch(/^cu-[0-9a-f]{20}$/);
    expect(b.id).toBe(a.id);
    expect(c.id).not.toBe(a.id);
  });

  it.each([
    [
      'late_delivery',
      ['e-commit', 'e-delivered'],
      [E.commit, E.delivered],
      /delivered at 16:30 UTC on 5 Dec in Atlanta, GA/,
    ],
    [
      'delivery_at_risk',
      ['e-commit', 'e-delay'],
      [E.commit, E.delay],
      /promised for delivery by 18:00 UTC on 4 Dec/,
    ],
    ['missed_pickup', ['e-commit', 'e-scan'], [E.commit, E.scan], /No carrier pickup has been reported/],
    [
      'missed_pickup',
      ['e-commit', 'e-scan', 'e-pickup'],
      [E.commit, E.scan, E.pickup],
      /picked up at 18:00 UTC on 3 Dec/,
    ],
    [
      'short_pick',
      ['e-commit', 'e-pick'],
      [E.commit, E.shortPick],
      /We could pick 8 of the 10 units of item SKU-123/,
    ],
    [
      'tender_rejected',
      ['e-tender', 'e-reject'],
      [E.commit, E.tender, E.reject],
      /Carrier CARR-1 declined the booking .*"no capacity"/,
    ],
    ['excessive_dwell', ['e-commit', 'e-delay'], [E.commit, E.delay], /committed to ship/],
  ] as const)('%s: its own template, every statement cited', (type, evidence, given, expected) => {
    const e = ex({ id: `${type}:x1`, type, evidence: [...evidence] });
    const d = buildCustomerUpdate(e, given, opts);
    checkCitations(d, given, e.id);
    expect(d.template).toBe(type === 'excessive_dwell' ? 'generic.v1' : `${type}.v1`);
    expect(d.text).toMatch(expected);
  });

  it('inputs record the exception, the events used, the template and the options', () => {
    const d = buildCustomerUpdate(ex(), [E.commit, E.other], opts);
    expect(d.inputs.template).toBe('late_scan.v1');
    expect(d.inputs.options).toEqual({ piiRedaction: true, requireCitations: true });
    expect(d.inputs.exception.id).toBe('late_scan:0123abcdef');
    expect(d.inputs.events.map((e) => e.id)).toEqual(['e-commit']);
    expect(d.createdAt).toBe(NOW);
  });

  it('an exception without a customer cannot be drafted', () => {
    expect(() => buildCustomerUpdate(ex({ customerId: undefined }), [E.commit], opts)).toThrow(
      DraftUnavailableError,
    );
  });
});
