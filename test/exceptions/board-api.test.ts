import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DetectedException, lifecycleVersion } from '../../core/mod.ts';
import type { TestDockside } from '../helpers/dockside.ts';
import { waitFor } from '../helpers/wait.ts';
import { danaToken, exception, MIN, now, publishAll, run, startBoardDockside } from './board-fixtures.ts';

/**
 * The exception board's API on a whole Dockside (real NATS, embedded ClickHouse): list filters and their
 * 400s, the urgency sort, counts per type × warehouse, the evidence timeline, the write-back history, and
 * assign to me / resolve with who did it. The live feed: board-stream.test.ts.
 */
let t: TestDockside;
let base = '';

const dana = () => danaToken(t);
const auth = () => ({ authorization: `Bearer ${dana()}` });
const publish = (...exs: DetectedException[]) => publishAll(t, exs);

async function get(path: string) {
  const res = await fetch(`${base}${path}`, { headers: auth() });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function post(path: string, body: unknown, token = dana()) {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

interface Item {
  id: string;
  type: string;
  status: string;
  severity: string;
  assignedTo?: string;
  details: Record<string, unknown>;
}

async function list(query: string): Promise<{ items: Item[]; total: number }> {
  const r = await get(`/api/exceptions?${query}`);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body as unknown as { items: Item[]; total: number };
}

const ids = (items: { id: string }[]) => items.map((i) => i.id);

// Board fixtures: two warehouses, three severities, ages from 5 minutes to 3 hours.
const whA = `WH-A-${run}`;
const whB = `WH-B-${run}`;
const fx = {
  a1: exception({ severity: 'critical', ageMin: 10 }),
  a2: exception({ severity: 'critical', ageMin: 120 }),
  a3: exception({ severity: 'low', ageMin: 180, lane: 'SP>MG' }),
  b1: exception({ type: 'late_scan', severity: 'high', ageMin: 5, warehouseId: whB, customerTier: 'tier1' }),
  b2: exception({
    type: 'late_scan',
    severity: 'medium',
    ageMin: 45,
    warehouseId: whB,
    customerId: `C-2-${run}`,
  }),
  b3: exception({ type: 'late_scan', severity: 'high', ageMin: 90, warehouseId: whB, status: 'assigned' }),
  gone: exception({
    severity: 'critical',
    ageMin: 30,
    status: 'resolved',
    version: lifecycleVersion('resolved'),
  }),
};

beforeAll(async () => {
  ({ t, base } = await startBoardDockside('boardapi'));
  await publish(...Object.values(fx));
  await waitFor('the board fixtures in ClickHouse', async () => {
    const r = await list(`status=all&customerId=C-1-${run}&limit=100`);
    const r2 = await list(`status=all&customerId=C-2-${run}&limit=100`);
    return r.total === 6 && r2.total === 1 ? true : undefined;
  });
});

afterAll(async () => {
  await t?.close();
});

describe('GET /api/exceptions', () => {
  it('filters by warehouse, lane, customer, tier, type, severity, status and age, and returns total', async () => {
    const inA = await list(`warehouseId=${whA}`);
    expect(new Set(ids(inA.items))).toEqual(new Set([fx.a1.id, fx.a2.id, fx.a3.id]));
    expect(inA.total).toBe(3);
    expect(ids((await list(`warehouseId=${whA}&lane=${encodeURIComponent('SP>MG')}`)).items)).toEqual([
      fx.a3.id,
    ]);
    expect(ids((await list(`customerId=C-2-${run}`)).items)).toEqual([fx.b2.id]);
    expect(ids((await list(`warehouseId=${whB}&customerTier=tier1`)).items)).toEqual([fx.b1.id]);
    const lateB = await list(`type=late_scan&warehouseId=${whB}`);
    expect(new Set(ids(lateB.items))).toEqual(new Set([fx.b1.id, fx.b2.id, fx.b3.id]));
    const twoTypes = await list(`type=late_scan,short_pick&customerId=C-1-${run}`);
    expect(twoTypes.total).toBe(5);
    const severe = await list(`severity=critical,high&warehouseId=${whB}`);
    expect(new Set(ids(severe.items))).toEqual(new Set([fx.b1.id, fx.b3.id]));
    expect(ids((await list(`status=assigned&warehouseId=${whB}`)).items)).toEqual([fx.b3.id]);
    expect(ids((await list(`status=resolved&customerId=C-1-${run}`)).items)).toEqual([fx.gone.id]);
    // active (the default) = open or assigned: the resolved one is left out.
    expect((await list(`customerId=C-1-${run}`)).total).toBe(5);
    expect((await list(`status=all&customerId=C-1-${run}`)).total).toBe(6);
    // Age = minutes since occurredAt.
    expect(new Set(ids((await list(`warehouseId=${whA}&olderThan=1h`)).items))).toEqual(
      new Set([fx.a2.id, fx.a3.id]),
    );
    expect(new Set(ids((await list(`warehouseId=${whB}&ageMin=30&ageMax=60`)).items))).toEqual(
      new Set([fx.b2.id]),
    );
    // A page keeps the total of all matches.
    const page = await list(`customerId=C-1-${run}&limit=2&offset=0`);
    expect(page.items).toHaveLength(2);
    expect(page.total).toBe(5);
  });

  it('sorts by urgency: severity, then the longest past its SLA', async () => {
    const all = await list(`status=all&customerId=C-1-${run}&sort=urgency`);
    expect(ids(all.items)).toEqual([fx.a2.id, fx.gone.id, fx.a1.id, fx.b3.id, fx.b1.id, fx.a3.id]);
    const recent = await list(`status=all&customerId=C-1-${run}`);
    expect(ids(recent.items)).toEqual([fx.b1.id, fx.a1.id, fx.gone.id, fx.b3.id, fx.a2.id, fx.a3.id]);
  });

  it('answers 400 naming the filter and its value for values it does not know', async () => {
    const cases: [string, string, string][] = [
      ['severity=bogus', 'severity', 'bogus'],
      ['severity=high,urgent', 'severity', 'unknown: urgent'],
      ['type=bogus', 'type', 'bogus'],
      ['status=closed', 'status', 'closed'],
      ['customerTier=gold', 'customerTier', 'gold'],
      ['olderThan=30x', 'olderThan', '30x'],
      ['ageMin=-5', 'ageMin', '-5'],
      ['sort=loudest', 'sort', 'loudest'],
      ['colour=red', '', 'colour'],
    ];
    for (const [query, field, mention] of cases) {
      const r = await get(`/api/exceptions?${query}`);
      expect(r.status, query).toBe(400);
      const error = r.body.error as { code: string; message: string };
      expect(error.code).toBe('REQUEST_INVALID');
      expect(error.message, query).toContain(mention);
      if (field) expect(error.message.startsWith(`${field}: got`), error.message).toBe(true);
    }
  });

  it('counts per type × warehouse with the same filters', async () => {
    const r = await get(`/api/exceptions/counts?customerId=C-1-${run}`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      cells: [
        { type: 'late_scan', warehouseId: whB, count: 2 },
        { type: 'short_pick', warehouseId: whA, count: 3 },
      ],
      total: 5,
    });
    expect((await get('/api/exceptions/counts?severity=bogus')).status).toBe(400);
  });
});

describe('an exception’s detail', () => {
  it('lists the evidence events in event-time order with source and arrival, and the ids not found', async () => {
    const ship = `SHP-EV-${run}`;
    const at = (min: number) => new Date(now - min * MIN).toISOString();
    const events = [
      {
        id: `ev3-${run}`,
        type: 'wms.pick',
        occurredAt: at(5),
        source: 'wms-sp',
        shipmentId: ship,
        warehouseId: whA,
        sku: 'SKU-9',
        qtyOrdered: 10,
        qtyPicked: 4,
      },
      {
        id: `ev1-${run}`,
        type: 'shipment.committed',
        occurredAt: at(60),
        source: 'oms',
        shipmentId: ship,
        customerId: `C-1-${run}`,
        customerTier: 'tier2',
        warehouseId: whA,
        lane: 'SP>RJ',
        promisedShipBy: at(-60),
      },
      {
        id: `ev2-${run}`,
        type: 'wms.pack',
        occurredAt: at(30),
        source: 'wms-sp',
        shipmentId: ship,
        warehouseId: whA,
      },
    ];
    const admin = t.auth.tokenFor(['ingest'], { userId: 'feed' });
    const posted = await post('/api/events', events, admin);
    expect(posted.status, JSON.stringify(posted.body)).toBe(200);
    const ex = exception({ ageMin: 5, evidence: [`ev3-${run}`, `nope-${run}`, `ev1-${run}`, `ev2-${run}`] });
    await publish(ex);
    interface Ev {
      id: string;
      type: string;
      occurredAt: string;
      receivedAt: string;
      source: string;
      fields: Record<string, unknown>;
    }
    const body = await waitFor('the evidence events stored', async () => {
      const r = await get(`/api/exceptions/${encodeURIComponent(ex.id)}/evidence`);
      return r.status === 200 && (r.body.events as Ev[]).length === 3 ? r.body : undefined;
    });
    const got = body.events as Ev[];
    expect(got.map((e) => e.id)).toEqual([`ev1-${run}`, `ev2-${run}`, `ev3-${run}`]);
    expect(got.map((e) => e.source)).toEqual(['oms', 'wms-sp', 'wms-sp']);
    expect(got.map((e) => e.type)).toEqual(['shipment.committed', 'wms.pack', 'wms.pick']);
    expect(got[0]?.occurredAt).toBe(at(60));
    for (const e of got) expect(Date.parse(e.receivedAt)).toBeGreaterThanOrEqual(now - 1_000);
    expect(got[2]?.fields).toMatchObject({ shipmentId: ship, qtyOrdered: 10, qtyPicked: 4 });
    expect(got[2]?.fields).not.toHaveProperty('id');
    expect(body.missing).toEqual([`nope-${run}`]);
    expect(body.truncated).toBe(0);
    expect((await get('/api/exceptions/short_pick:nothing/evidence')).status).toBe(404);
  });

  it('shows the write-back decisions of the exception from the decision log', async () => {
    interface History {
      decisions: { reasonCode: string; outcome: string; reason: string; policyVersion: string }[];
      log: { kind: string; actor: string }[];
    }
    const h = await waitFor('a decision about the exception', async () => {
      const r = await get(`/api/exceptions/${encodeURIComponent(fx.b1.id)}/writeback`);
      return r.status === 200 && (r.body as unknown as History).decisions.length > 0
        ? (r.body as unknown as History)
        : undefined;
    });
    const d = h.decisions[0];
    expect(d?.reasonCode).toMatch(/^[a-z_]+$/);
    expect(d?.reason.length).toBeGreaterThan(0);
    expect(d?.policyVersion).toMatch(/^v/);
    expect(h.log.some((l) => l.kind === 'decision' && l.actor === 'system:decider')).toBe(true);
  });

  it('assigns to me and resolves, recording who did it and when', async () => {
    const a = await post(`/api/exceptions/${encodeURIComponent(fx.a1.id)}/assign`, {
      assignee: 'me',
      expectedVersion: fx.a1.version,
    });
    expect(a.status, JSON.stringify(a.body)).toBe(202);
    expect(a.body).toMatchObject({ status: 'assigned', assignedTo: 'dispatch-dana' });
    expect((a.body.details as Record<string, unknown>).assignedBy).toBe('dispatch-dana');
    const other = await post(`/api/exceptions/${encodeURIComponent(fx.a2.id)}/assign`, {
      assignee: 'sam',
      expectedVersion: fx.a2.version,
    });
    expect(other.body).toMatchObject({ assignedTo: 'sam', details: { assignedBy: 'dispatch-dana' } });
    // The list reads ClickHouse: the assignment is there once the exceptions sink has stored it.
    await waitFor('the assignment stored', async () => {
      const g = await get(`/api/exceptions/${encodeURIComponent(fx.a1.id)}`);
      return g.body.status === 'assigned' ? true : undefined;
    });
    const lead = t.auth.tokenFor(['ops_exception_lead'], { userId: 'lead-lee' });
    const r = await post(
      `/api/exceptions/${encodeURIComponent(fx.a1.id)}/resolve`,
      { resolution: 'restocked', expectedVersion: a.body.version },
      lead,
    );
    expect(r.status).toBe(202);
    const stored = await waitFor('the resolution stored', async () => {
      const g = await get(`/api/exceptions/${encodeURIComponent(fx.a1.id)}`);
      return g.body.status === 'resolved' ? g.body : undefined;
    });
    expect(stored).toMatchObject({
      assignedTo: 'dispatch-dana',
      resolution: 'restocked',
      details: { assignedBy: 'dispatch-dana', resolvedBy: 'lead-lee', wmsActivitySeen: true },
    });
    expect(Date.parse(String(stored.resolvedAt))).toBeGreaterThanOrEqual(
      Date.parse(String(stored.assignedAt)),
    );
    const reader = t.auth.tokenFor(['warehouse_supervisor'], { userId: 'sup' });
    expect(
      (await post(`/api/exceptions/${encodeURIComponent(fx.a2.id)}/resolve`, { resolution: 'x' }, reader))
        .status,
    ).toBe(403);
  });

  it('keeps who it was assigned to when the detector resolves it (the list row too)', async () => {
    await waitFor('the assignment to sam stored', async () => {
      const g = await get(`/api/exceptions/${encodeURIComponent(fx.a2.id)}`);
      return g.body.assignedTo === 'sam' ? true : undefined;
    });
    // The detector's own resolution (rank resolved, time 0) knows nothing of the assignment.
    await publish({
      ...fx.a2,
      status: 'resolved',
      resolution: 'scan arrived late',
      resolvedAt: new Date(now).toISOString(),
      version: lifecycleVersion('resolved', 0),
    });
    const row = await waitFor('the detector resolution in the list', async () => {
      const { items } = await list(`status=resolved&warehouseId=${encodeURIComponent(whA)}&limit=100`);
      return items.find((i) => i.id === fx.a2.id);
    });
    expect(row).toMatchObject({ status: 'resolved', assignedTo: 'sam' });
  });
});
