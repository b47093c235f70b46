import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Dockside, startDockside } from '../../app/runtime.ts';
import { generateScenario } from '../../bench/exceptions/scenario.ts';
import { createLogger, type DetectedException, loadPolicy, partitionOf } from '../../core/mod.ts';
import { computeIncidents, type Incident, incidentOptions } from '../../exceptions/mod.ts';
import { testAuth } from '../helpers/auth.ts';
import { templatePolicy } from '../helpers/env.ts';
import { waitFor } from '../helpers/wait.ts';
import { cleanup, connectTest, publishAll, testConfig } from './support/live.ts';
import { replayOffline } from './support/runs.ts';

/**
 * Incidents on a whole Dockside (real NATS, embedded ClickHouse) fed the "carrier bad afternoon" scenario:
 * `GET /api/incidents` equals the incidents of `replay` over the same events, and an incident's assign and
 * resolve act on each member through the exception lifecycle (each with its own history record).
 */
const auth = testAuth();
const config = testConfig({ POLICY_FILE: templatePolicy, DOCKSIDE_JWT_SECRET: auth.secret });
const policy = loadPolicy(config.policyFile);
const HOUR = 3_600_000;
const start = Date.parse('2026-03-02T00:00:00Z');
const bad = { carrierId: 'CARR-1', warehouseId: 'WH-A', fromMs: start + HOUR, hours: 3 };
const events = generateScenario({
  shipments: 900,
  seed: 17,
  startMs: start,
  badAfternoon: bad,
  ticks: { partitions: config.partitions, partitionOf, afterMs: 30 * 86_400_000 },
});
const DISPATCHER = 'ops_dispatch_manager';
const READ_ONLY = 'warehouse_supervisor';

let dockside: Dockside;
let want: Incident[];
/** Exceptions in the incidents' window (all of the run's). */
let inWindow: number;
let offline: DetectedException[];

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

async function call(method: 'GET' | 'POST', url: string, role = DISPATCHER, body?: unknown): Promise<Answer> {
  const res = await dockside.server.inject({
    method,
    url,
    headers: auth.headersFor(role),
    ...(body !== undefined ? { payload: body as Record<string, unknown> } : {}),
  });
  return { status: res.statusCode, body: res.json() as Record<string, unknown> };
}

const listAll = async () => (await call('GET', '/api/incidents?status=all&limit=1000')).body;
const incidentUrl = (id: string, action = '') =>
  `/api/incidents/${encodeURIComponent(id)}${action ? `/${action}` : ''}`;

beforeAll(async () => {
  const run = await replayOffline(events, {
    policy,
    partitions: config.partitions,
    allowedLatenessMs: config.allowedLatenessMs,
  });
  offline = run.exceptions;
  const snap = computeIncidents(offline, incidentOptions(policy));
  want = [...snap.incidents];
  inWindow = snap.exceptions;
  dockside = await startDockside(config, { logger: createLogger(config), listen: false });
  const nc = await connectTest();
  await publishAll(nc, config, events);
  await nc.close();
}, 60_000);

afterAll(async () => {
  await dockside?.stop();
  const nc = await connectTest();
  await cleanup(nc, config);
  await nc.close();
});

describe('incidents live', () => {
  it('GET /api/incidents equals the replay of the same events (ids, members, status)', async () => {
    expect(want.length).toBeGreaterThan(5);
    const got = await waitFor(
      'the live incidents to match the replay',
      async () => {
        const body = await listAll();
        const counts = body.counts as { exceptions: number };
        return counts.exceptions === inWindow && JSON.stringify(body.items) === JSON.stringify(want)
          ? body
          : undefined;
      },
      120_000,
    ).catch(async (err: unknown) => {
      // Show the difference rather than a bare timeout.
      expect((await listAll()).items).toEqual(want);
      throw err;
    });
    expect(got.total).toBe(want.length);
    expect(got.counts).toMatchObject({
      open: want.filter((i) => i.status === 'open').length,
      exceptions: inWindow,
    });
    // The filters: open only (the default), by carrier and warehouse.
    const open = (await call('GET', '/api/incidents?limit=1000')).body;
    expect(open.total).toBe(want.filter((i) => i.status === 'open').length);
    const carrier = (
      await call('GET', '/api/incidents?status=all&carrierId=CARR-1&warehouseId=WH-A&limit=1000')
    ).body;
    expect((carrier.items as Incident[]).map((i) => i.id)).toEqual(
      want.filter((i) => i.carrierIds.includes('CARR-1') && i.warehouseIds.includes('WH-A')).map((i) => i.id),
    );
    // Exceptions carry the carrier, and the exception list filters by it.
    const late = await call(
      'GET',
      '/api/exceptions?status=all&type=late_scan&warehouseId=WH-A&carrierId=CARR-1&limit=1',
    );
    const wantLate = offline.filter(
      (e) => e.type === 'late_scan' && e.warehouseId === 'WH-A' && e.carrierId === 'CARR-1',
    );
    expect(wantLate.length).toBeGreaterThan(10);
    expect(late.body.total).toBe(wantLate.length);
    expect((late.body.items as DetectedException[])[0]?.carrierId).toBe('CARR-1');
    const bad400 = await call('GET', '/api/incidents?status=sideways');
    expect(bad400.status).toBe(400);
    expect((bad400.body.error as { code: string }).code).toBe('REQUEST_INVALID');
  }, 150_000);

  it('assigns and resolves an incident member by member, each with its own history record', async () => {
    const incident = want.find(
      (i) =>
        i.type === 'late_scan' &&
        i.cause.kind === 'warehouse_carrier' &&
        i.cause.carrierId === 'CARR-1' &&
        i.cause.warehouseId === 'WH-A',
    );
    if (!incident) throw new Error('no incident for the bad afternoon');
    const detail = await call('GET', incidentUrl(incident.id));
    expect(detail.status).toBe(200);
    const members = detail.body.members as DetectedException[];
    expect(members.map((m) => m.id)).toEqual(incident.memberIds);
    const open = members.filter((m) => m.status !== 'resolved');
    const closed = members.filter((m) => m.status === 'resolved');
    expect(open.length).toBeGreaterThan(3);
    expect(closed.length).toBeGreaterThan(0);

    // A read-only role reads incidents but may not act on them.
    expect((await call('GET', incidentUrl(incident.id), READ_ONLY)).status).toBe(200);
    for (const action of ['assign', 'resolve']) {
      const denied = await call('POST', incidentUrl(incident.id, action), READ_ONLY, {
        assignee: 'me',
        resolution: 'x',
      });
      expect(denied.status).toBe(403);
      expect((denied.body.error as { code: string }).code).toBe('FORBIDDEN');
    }

    // One member is acted on with a version it no longer has: that one conflicts, the others are assigned.
    const stale = open[0] as DetectedException;
    const assigned = await call('POST', incidentUrl(incident.id, 'assign'), DISPATCHER, {
      assignee: 'me',
      expectedVersions: { [stale.id]: stale.version - 1 },
    });
    expect(assigned.status).toBe(202);
    const outcomes = new Map(
      (assigned.body.outcomes as { id: string; outcome: string; status?: string }[]).map((o) => [o.id, o]),
    );
    expect(outcomes.get(stale.id)).toMatchObject({
      outcome: 'conflict',
      status: 'open',
      version: stale.version,
    });
    for (const m of open.slice(1))
      expect(outcomes.get(m.id)).toMatchObject({ outcome: 'done', status: 'assigned' });
    for (const m of closed) expect(outcomes.get(m.id)?.outcome).toBe('already_resolved');
    expect(assigned.body.counts).toEqual({
      done: open.length - 1,
      conflict: 1,
      alreadyResolved: closed.length,
      notFound: 0,
    });
    const user = `user-${DISPATCHER}`;
    for (const m of open.slice(1)) {
      const h = await call('GET', `/api/exceptions/${encodeURIComponent(m.id)}/history`);
      const items = h.body.items as { action: string; by: string; assignedTo?: string }[];
      expect(items.filter((x) => x.action === 'assign')).toEqual([
        expect.objectContaining({ by: user, assignedTo: user }),
      ]);
    }
    // The incident shows it at once: its members are assigned, the stale one still open.
    const after = (await call('GET', incidentUrl(incident.id))).body;
    expect(after.counts).toMatchObject({ assigned: open.length - 1, open: 1, resolved: closed.length });
    expect(after.status).toBe('open');

    const resolved = await call('POST', incidentUrl(incident.id, 'resolve'), DISPATCHER, {
      resolution: 'carrier scanner back',
    });
    expect(resolved.status).toBe(202);
    expect(resolved.body.counts).toMatchObject({
      done: open.length,
      conflict: 0,
      alreadyResolved: closed.length,
    });
    for (const m of open) {
      const h = await call('GET', `/api/exceptions/${encodeURIComponent(m.id)}/history`);
      const items = h.body.items as { action: string; by: string; resolution?: string }[];
      expect(items.filter((x) => x.action === 'resolve')).toEqual([
        expect.objectContaining({ by: user, resolution: 'carrier scanner back' }),
      ]);
      expect(h.body.status).toBe('resolved');
    }
    // Resolved once ClickHouse holds the new states too (the overlay ends there).
    await waitFor('the incident resolved in the stored states', async () => {
      const body = await listAll();
      const item = (body.items as Incident[]).find((i) => i.id === incident.id);
      return item?.status === 'resolved' && item.counts.resolved === item.counts.members ? item : undefined;
    });
    const again = await call('POST', incidentUrl(incident.id, 'resolve'), DISPATCHER, {
      resolution: 'twice',
    });
    expect(again.body.counts).toMatchObject({ done: 0, alreadyResolved: members.length });
  }, 60_000);

  it('answers 404 with the one error shape for an unknown incident', async () => {
    for (const [method, action] of [
      ['GET', ''],
      ['POST', 'assign'],
    ] as const) {
      const r = await call(
        method,
        incidentUrl('inc:nope', action),
        DISPATCHER,
        method === 'POST' ? { assignee: 'me' } : undefined,
      );
      expect(r.status).toBe(404);
      expect(r.body).toMatchObject({
        error: { code: 'INCIDENT_NOT_FOUND', issues: [{ field: 'id', value: 'inc:nope' }] },
        requestId: expect.any(String),
      });
    }
  });
});
