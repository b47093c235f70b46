import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../core/mod.ts';
import { startTestDockside, type TestDockside } from '../helpers/dockside.ts';
import { ev } from '../helpers/events.ts';
import { waitFor } from '../helpers/wait.ts';

interface ExceptionItem {
  id: string;
  type: string;
  status: string;
  shipmentId?: string;
  evidence: string[];
  confidence: number;
  version: number;
}

let t: TestDockside;
beforeAll(async () => {
  t = await startTestDockside('pipe');
});
afterAll(async () => {
  await t?.close();
});

const post = (payload: unknown, contentType = 'application/json') =>
  t.inject(
    {
      method: 'POST',
      url: '/api/events',
      headers: { 'content-type': contentType },
      payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
    },
    'ingest',
  );

async function exceptionsFor(shipmentId: string, status = 'all'): Promise<ExceptionItem[]> {
  const res = await t.inject({ url: `/api/exceptions?status=${status}&limit=5000` });
  expect(res.statusCode).toBe(200);
  return (res.json() as { items: ExceptionItem[] }).items.filter((e) => e.shipmentId === shipmentId);
}

const streamMessages = async (stream: string) =>
  (await (await jetstreamManager(t.dockside.nc)).streams.info(stream)).state.messages;

/** Posts a short pick and waits for its exception: the detector and sinks are in order, so earlier input is done. */
async function barrier(): Promise<void> {
  const pick = ev.pick();
  expect((await post(pick)).statusCode).toBe(202);
  await waitFor('barrier exception', async () =>
    (await exceptionsFor(pick.shipmentId)).length ? true : undefined,
  );
}

describe('HTTP → JetStream → detector → ClickHouse → API', () => {
  it('turns one short pick posted over HTTP into exactly one stored exception', async () => {
    const pick = ev.pick({ ordered: 10, picked: 6 });
    const res = await post(pick);
    expect(res.statusCode).toBe(202);
    expect(res.json()).toMatchObject({
      status: 'accepted',
      id: pick.id,
      accepted: 1,
      requestId: expect.any(String),
    });

    const [ex] = await waitFor('short_pick exception', async () => {
      const items = await exceptionsFor(pick.shipmentId);
      return items.length ? items : undefined;
    });
    expect(ex).toMatchObject({ type: 'short_pick', status: 'open', evidence: [pick.id] });
    await barrier();
    expect(await exceptionsFor(pick.shipmentId)).toHaveLength(1);
    const raw = await queryRows<{ n: string }>(
      t.dockside.store,
      `SELECT count() AS n FROM ${t.dockside.store.table('exceptions')} WHERE shipment_id = {s:String}`,
      { s: pick.shipmentId },
    );
    expect(Number(raw[0]?.n)).toBe(1);
  });

  it('stores one exception when the same event is posted twice', async () => {
    const pick = ev.pick({ ordered: 5, picked: 1 });
    const eventsBefore = await streamMessages(t.dockside.names.eventsStream);
    expect((await post(pick)).json()).toMatchObject({ status: 'accepted' });
    expect((await post(pick)).json()).toMatchObject({ status: 'duplicate', id: pick.id });
    expect(await streamMessages(t.dockside.names.eventsStream)).toBe(eventsBefore + 1);
    await waitFor('exception', async () =>
      (await exceptionsFor(pick.shipmentId)).length ? true : undefined,
    );
    await barrier();
    expect(await exceptionsFor(pick.shipmentId)).toHaveLength(1);
  });

  it('rejects a malformed event with 400 naming the field, and publishes nothing', async () => {
    const before = await streamMessages(t.dockside.names.eventsStream);
    const bad = { ...ev.pick(), qtyPicked: 'seven' };
    const res = await post(bad);
    expect(res.statusCode).toBe(400);
    const body = res.json() as {
      status: string;
      error: string;
      issues: { field: string; value: unknown; expected: string }[];
    };
    expect(body.status).toBe('rejected');
    expect(body.issues).toContainEqual({ field: 'qtyPicked', value: 'seven', expected: 'number' });
    expect(body.error).toContain('qtyPicked');

    const noTime = await post({ ...ev.pick(), occurredAt: '2026-13-45 nope' });
    expect(noTime.statusCode).toBe(400);
    expect((noTime.json() as { error: string }).error).toMatch(/occurredAt: got "2026-13-45 nope"/);

    const unknown = await post({ ...ev.pick(), type: 'wms.teleport' });
    expect(unknown.statusCode).toBe(400);
    expect((unknown.json() as { error: string }).error).toContain(
      'type: got "wms.teleport", expected one of',
    );

    const notJson = await post('{"id": ', 'application/json');
    expect(notJson.statusCode).toBe(400);
    expect(await streamMessages(t.dockside.names.eventsStream)).toBe(before);
  });

  it('answers a mixed batch per item with 207, and NDJSON too', async () => {
    const good = ev.pick({ picked: 10 });
    const res = await post([good, { ...ev.pick(), warehouseId: 42 }]);
    expect(res.statusCode).toBe(207);
    const body = res.json() as {
      accepted: number;
      rejected: number;
      results: { index: number; status: string; reason?: string }[];
    };
    expect(body).toMatchObject({ accepted: 1, rejected: 1 });
    expect(body.results[1]?.reason).toContain('warehouseId: got 42, expected string');

    const a = ev.pick({ picked: 10 });
    const nd = await post(`${JSON.stringify(a)}\n${JSON.stringify(a)}\nnot json\n`, 'application/x-ndjson');
    expect(nd.statusCode).toBe(207);
    expect((nd.json() as { results: { status: string }[] }).results.map((r) => r.status)).toEqual([
      'accepted',
      'duplicate',
      'rejected',
    ]);
  });

  it('keeps a commitment whose promises disagree, and dead-letters one naming another customer, with its reason', async () => {
    const t0 = Date.now();
    // promisedDeliverBy before promisedShipBy: accepted, each promise checked on its own (here the ship-by).
    const messy = ev.committed({
      at: t0 - 3 * 3_600_000,
      shipBy: t0 - 2 * 3_600_000,
      deliverBy: t0 - 2.5 * 3_600_000,
    });
    expect((await post(messy)).statusCode).toBe(202);
    expect((await post(ev.pick({ shipmentId: messy.shipmentId, picked: 10 }))).statusCode).toBe(202);
    await waitFor('late_scan of the messy commitment', async () => {
      const items = (await exceptionsFor(messy.shipmentId)).filter((e) => e.type === 'late_scan');
      return items.length ? items : undefined;
    });

    const first = ev.committed();
    const conflicting = { ...ev.committed({ shipmentId: first.shipmentId }), customerId: 'CUST-OTHER' };
    expect((await post(first)).statusCode).toBe(202);
    expect((await post(conflicting)).statusCode).toBe(202);
    const deadLetters = async () => {
      const r = await t.inject({ url: '/api/dead-letters?source=detector' });
      return (r.json() as { items: { raw: string; code: string; reason: string }[] }).items;
    };
    const dl = await waitFor('dead letter', async () =>
      (await deadLetters()).find((i) => i.raw.includes(conflicting.id)),
    );
    expect(dl.code).toBe('COMMITMENT_CONFLICT');
    expect(dl.reason).toContain('already committed to customer CUST-001');
    expect(await streamMessages(t.dockside.names.deadLetterStream)).toBeGreaterThanOrEqual(1);
    expect((await deadLetters()).filter((i) => i.raw.includes(messy.id))).toEqual([]);
  });

  it('fires late_scan by event time once the watermark passes the deadline, and a late scan resolves it', async () => {
    const t0 = Date.now();
    // minutes_past_sla defaults to 60: the deadline is promisedShipBy + 1 h.
    const c = ev.committed({ at: t0 - 3 * 3_600_000, shipBy: t0 - 2 * 3_600_000 });
    expect((await post(c)).statusCode).toBe(202);
    // Event time moves only with events: a current event of the same feed and partition (here a full pick of
    // the same shipment) pushes the watermark past the deadline.
    expect((await post(ev.pick({ shipmentId: c.shipmentId, picked: 10 }))).statusCode).toBe(202);
    const [open] = await waitFor('late_scan', async () => {
      const items = (await exceptionsFor(c.shipmentId)).filter((e) => e.type === 'late_scan');
      return items.length ? items : undefined;
    });
    expect(open).toMatchObject({ status: 'open', evidence: [c.id] });
    expect(open?.confidence).toBeGreaterThan(0);

    expect((await post(ev.shipScan({ shipmentId: c.shipmentId }))).statusCode).toBe(202);
    const resolved = await waitFor('resolution', async () => {
      const items = (await exceptionsFor(c.shipmentId)).filter((e) => e.status === 'resolved');
      return items.length ? items : undefined;
    });
    expect(resolved[0]).toMatchObject({ id: open?.id, type: 'late_scan', resolution: 'scan arrived late' });
  });

  it('does not fire late_scan for a shipment scanned before its deadline', async () => {
    const t0 = Date.now();
    const c = ev.committed({ at: t0 - 3 * 3_600_000, shipBy: t0 - 2 * 3_600_000 });
    const scan = ev.shipScan({ shipmentId: c.shipmentId, at: t0 - 2.5 * 3_600_000 });
    // The scan is sent first: however late both are against the watermark, the commitment finds it scanned.
    expect((await post([scan, c])).statusCode).toBe(200);
    await barrier();
    expect((await exceptionsFor(c.shipmentId)).filter((e) => e.type === 'late_scan')).toHaveLength(0);
  });

  it('assigns and resolves an exception through the API', async () => {
    const pick = ev.pick({ ordered: 4, picked: 0 });
    await post(pick);
    const [ex] = await waitFor('exception', async () => {
      const items = await exceptionsFor(pick.shipmentId);
      return items.length ? items : undefined;
    });
    const id = encodeURIComponent(ex?.id ?? '');
    const assigned = await t.inject({
      method: 'POST',
      url: `/api/exceptions/${id}/assign`,
      payload: { assignee: 'dana', expectedVersion: ex?.version },
    });
    expect(assigned.statusCode).toBe(202);
    await waitFor('assigned', async () =>
      (await exceptionsFor(pick.shipmentId, 'assigned')).length ? true : undefined,
    );
    const resolved = await t.inject({
      method: 'POST',
      url: `/api/exceptions/${id}/resolve`,
      payload: { resolution: 'restocked', expectedVersion: assigned.json().version },
    });
    expect(resolved.statusCode).toBe(202);
    const [done] = await waitFor('resolved', async () => {
      const items = await exceptionsFor(pick.shipmentId, 'resolved');
      return items.length ? items : undefined;
    });
    expect(done).toMatchObject({ status: 'resolved', resolution: 'restocked', assignedTo: 'dana' });
    const again = await t.inject({
      method: 'POST',
      url: `/api/exceptions/${id}/assign`,
      payload: { assignee: 'x', expectedVersion: resolved.json().version },
    });
    expect(again.statusCode).toBe(409);
    const missing = await t.inject({
      method: 'POST',
      url: '/api/exceptions/nope/assign',
      payload: { assignee: 'x', expectedVersion: 1 },
    });
    expect(missing.statusCode).toBe(404);
  });

  it('mounts the planner API and the board', async () => {
    const accuracy = await t.inject({ url: '/api/forecasts/accuracy' }, 'planner');
    expect(accuracy.statusCode).toBe(200);
    expect(accuracy.json()).toMatchObject({ data: [] });
    const openapi = await t.inject({ url: '/api/forecasts/openapi.json' }, 'planner');
    expect((openapi.json() as { openapi: string }).openapi).toMatch(/^3\./);
    const board = await t.dockside.server.inject({ url: '/' }); // public: no token
    expect(board.headers['content-type']).toContain('text/html');
    expect(board.body).toContain('<script type="module" src="/ui/app.js">');
    const app = await t.dockside.server.inject({ url: '/ui/app.js' }); // the bundled screens, public
    expect(app.statusCode).toBe(200);
    expect(app.body).toContain('Exception board');
  });
});
