import { describe, expect, it } from 'vitest';
import { generateScenario, mulberry32 } from '../../bench/exceptions/scenario.ts';
import { type CanonicalEvent, parseEvent, parseEventBySchema, partitionOf } from '../../core/mod.ts';

type Outcome = { ok: true; value: unknown } | { ok: false; error: string };

function outcome(f: (input: unknown) => CanonicalEvent, input: unknown): Outcome {
  try {
    return { ok: true, value: f(structuredClone(input)) };
  } catch (err) {
    return {
      ok: false,
      error: `${(err as Error).name} ${(err as { code?: string }).code} ${(err as Error).message}`,
    };
  }
}

/** parseEvent's hand check must accept exactly what the zod schemas accept, with the same result. */
function expectSame(input: unknown): void {
  const fast = outcome(parseEvent, input);
  const zod = outcome(parseEventBySchema, input);
  expect(fast).toEqual(zod);
}

const long = (n: number) => 'x'.repeat(n);
const TIMES = [
  '2026-03-02T08:00:00Z',
  '2026-03-02T08:00:00.123Z',
  '2026-03-02T08:00:00.123456789Z',
  '2026-03-02T08:00:00+05:30',
  '2026-03-02T08:00:00-23:59',
  '2026-03-02T08:00:00+24:00',
  '2026-03-02T08:00:00+0530',
  '2026-03-02T08:00:00z',
  '2026-03-02t08:00:00Z',
  '2026-03-02T08:00Z',
  '2026-03-02T08:00:00',
  '2026-03-02 08:00:00Z',
  '2026-03-02T24:00:00Z',
  '2026-03-02T23:60:00Z',
  '2026-03-02T23:59:60Z',
  '2026-02-29T08:00:00Z',
  '2024-02-29T08:00:00Z',
  '2000-02-29T08:00:00Z',
  '1900-02-29T08:00:00Z',
  '2026-04-31T08:00:00Z',
  '2026-12-31T08:00:00Z',
  '2026-13-01T08:00:00Z',
  '2026-00-10T08:00:00Z',
  '2026-03-00T08:00:00Z',
  '+02026-03-02T08:00:00Z',
  '2026-03-02T08:00:00.Z',
  ' 2026-03-02T08:00:00Z',
  '2026-03-02T08:00:00Z\n',
];
const VALUES: unknown[] = [
  undefined,
  null,
  '',
  'a',
  ' ',
  long(16),
  long(17),
  long(128),
  long(129),
  long(256),
  long(257),
  long(512),
  long(513),
  0,
  -0,
  1,
  -1,
  1.5,
  1e308,
  true,
  false,
  [],
  ['a'],
  {},
  { sku: 'S', qty: 1 },
  'tier1',
  'tier4',
  'delivered',
  'Delivered',
  'wismo',
  ...TIMES,
];
const LINES: unknown[] = [
  [],
  [{ sku: 'S', qty: 1 }],
  [{ sku: 'S', qty: 1, extra: true }],
  [{ sku: 'S' }],
  [{ sku: '', qty: 1 }],
  [{ sku: 'S', qty: -1 }],
  [null],
  [['S', 1]],
  Array.from({ length: 10_001 }, () => ({ sku: 'S', qty: 1 })),
  Array.from({ length: 10_000 }, () => ({ sku: 'S', qty: 0 })),
  { sku: 'S', qty: 1 },
];

describe('parseEvent: the hand check against the zod schemas', () => {
  const events = generateScenario({
    shipments: 60,
    ticks: { partitions: 8, partitionOf, afterMs: 86_400_000 },
  }) as unknown as Record<string, unknown>[];
  // One example of each type, with every optional field present (the scenario leaves some out).
  const examples = new Map<string, Record<string, unknown>>();
  for (const e of events) examples.set(String(e.type), e);
  examples.set('crm.contact+shipment', { ...(examples.get('crm.contact') ?? {}), shipmentId: 'S1' });
  examples.set('tms.status+all', {
    ...(examples.get('tms.status') ?? {}),
    code: 'X1',
    location: 'SP',
    eta: '2026-03-04T10:00:00Z',
  });
  examples.set('shipment.committed+all', {
    ...(examples.get('shipment.committed') ?? {}),
    orderId: 'O1',
    carrierId: 'CARR-1',
    region: 'SE',
    correlationId: 'c-1',
    units: 3,
  });
  examples.set('tms.tender+capacity', { ...(examples.get('tms.tender') ?? {}), capacity: 26 });

  it('accepts every scenario event as the schemas do, with the same result', () => {
    expect(examples.size).toBeGreaterThanOrEqual(11);
    for (const e of events) expectSame(e);
  });

  it('returns a valid event as it came, with schemaVersion defaulted; a frozen one gets a parsed copy', () => {
    const e = { ...(examples.get('tms.pod') ?? {}) };
    delete e.schemaVersion;
    const same = parseEvent(e);
    expect(same).toBe(e);
    expect(same.schemaVersion).toBe(1);
    const frozen = Object.freeze({ ...e, schemaVersion: undefined });
    const copy = parseEvent(frozen);
    expect(copy).not.toBe(frozen);
    expect(copy).toEqual({ ...e, schemaVersion: 1 });
  });

  it('agrees with the schemas when any field is missing, mistyped, out of bounds or malformed', () => {
    const fields = [
      'id',
      'type',
      'occurredAt',
      'source',
      'schemaVersion',
      'correlationId',
      'shipmentId',
      'customerId',
      'customerTier',
      'warehouseId',
      'lane',
      'promisedShipBy',
      'promisedDeliverBy',
      'orderId',
      'carrierId',
      'region',
      'reason',
      'sku',
      'qtyOrdered',
      'qtyPicked',
      'countedQty',
      'systemQty',
      'location',
      'loadId',
      'shipmentIds',
      'accepted',
      'status',
      'code',
      'eta',
      'units',
      'capacity',
      'unknownField',
    ];
    let cases = 0;
    for (const example of examples.values()) {
      for (const field of fields) {
        for (const value of VALUES) {
          const input: Record<string, unknown> = { ...example };
          if (value === undefined) delete input[field];
          else input[field] = value;
          expectSame(input);
          cases++;
        }
      }
      for (const lines of LINES) expectSame({ ...example, lines });
      for (const shipmentIds of [[], [''], ['S1', 7], Array.from({ length: 10_001 }, () => 'S')])
        expectSame({ ...example, shipmentIds });
      expectSame({ ...example, type: 'no.such_type' });
    }
    expect(cases).toBeGreaterThan(10_000);
    for (const input of [null, 7, 'text', [], [examples.get('tms.pod')], true]) expectSame(input);
  });

  it('agrees with the schemas on random mutations of valid events', () => {
    const rand = mulberry32(11);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)] as T;
    const all = [...examples.values()];
    for (let i = 0; i < 20_000; i++) {
      const input: Record<string, unknown> = { ...pick(all) };
      const keys = Object.keys(input);
      for (let k = 1 + Math.floor(rand() * 2); k > 0; k--) {
        const value = pick(VALUES);
        const key = pick(keys);
        if (value === undefined) delete input[key];
        else input[key] = value;
      }
      expectSame(input);
    }
  });
});
