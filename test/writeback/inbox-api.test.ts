import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { draftSources } from '../../writeback/http/approvals.ts';
import { startTestDockside, type TestDockside } from '../helpers/dockside.ts';
import { waitFor } from '../helpers/wait.ts';
import { lateScanEvents, startWorld, TEMPLATE_POLICY, type World } from '../helpers/writeback-world.ts';

/**
 * What the approvals inbox needs from the API, on real NATS, embedded ClickHouse and the Salesforce contract
 * server: the current CRM values beside the proposed ones (cached per account; a failing or absent CRM is
 * said, not fatal), each approval's write state (status, rollback window) in the list, a history of what a
 * person acted on, and the writes of one approval.
 */
let world: World;
let t: TestDockside;
let policyFile = '';

const users = {
  rita: { roles: ['revops_manager'], userId: 'revops-rita', regions: ['us-midwest', 'us-southeast'] },
  ana: { roles: ['account_owner'], userId: 'owner-ana', regions: [] },
  bob: { roles: ['account_owner'], userId: 'owner-bob', regions: [] },
  ingest: { roles: ['ingest'], userId: 'feed', regions: [] },
  admin: { roles: ['admin'], userId: 'admin', regions: ['*'] },
} as const;
type Who = keyof typeof users;
type Body = Record<string, unknown>;

async function api(who: Who, opts: InjectOptions) {
  const u = users[who];
  const token = t.auth.tokenFor(u.roles, { userId: u.userId, regions: u.regions });
  const res = await t.dockside.server.inject({
    ...opts,
    headers: { ...opts.headers, authorization: `Bearer ${token}` },
  });
  return { status: res.statusCode, body: (res.body ? JSON.parse(res.body) : {}) as Body };
}
const get = (who: Who, url: string) => api(who, { method: 'GET', url });

interface WriteSummary {
  id: string;
  status: string;
  appliedAt: string | null;
  rollbackClosesAt: string | null;
  canRollBack: boolean;
  previous: Record<string, unknown> | null;
}
interface Item {
  id: string;
  shipmentId: string;
  customerId: string;
  status: string;
  writeId: string;
  fields: { name: string; value: unknown }[];
  waitingFor: { step: number; role: string } | null;
  write: WriteSummary | null;
}
interface Detail extends Item {
  currentValues: Record<string, unknown> | null;
  currentValuesAt: string | null;
  currentValuesError?: string;
  draft: {
    text: string;
    statements: { text: string; citations: string[] }[];
    sources: { n: number; eventId: string; type: string; occurredAt: string }[];
  } | null;
}

async function lateScan(customerId: string): Promise<Item> {
  const { shipmentId, events } = lateScanEvents(customerId, 'tier1');
  const r = await api('ingest', { method: 'POST', url: '/api/events', payload: events });
  expect(r.status).toBe(200);
  return waitFor(
    `the approval of ${shipmentId}`,
    async () => {
      const list = await get('admin', '/api/approvals?status=pending&limit=1000');
      return (list.body.items as Item[]).find((a) => a.shipmentId === shipmentId);
    },
    30_000,
  );
}

async function approve(who: Who, id: string, step: number) {
  const r = await api(who, {
    method: 'POST',
    url: `/api/approvals/${id}/approve`,
    payload: { reason: `approved by ${who}`, step },
  });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body as unknown as Item;
}

/** GETs of one Account row the contract server answered (the inbox's reads and the pipeline's). */
const accountReads = (accountId: string) =>
  world.sf.requests.filter((r) => r.method === 'GET' && r.url.includes(`/sobjects/Account/${accountId}?`))
    .length;

beforeAll(async () => {
  world = await startWorld('inboxapi');
  policyFile = path.join(world.dir, 'policy.yaml');
  writeFileSync(policyFile, readFileSync(TEMPLATE_POLICY, 'utf8'));
  t = await startTestDockside('inboxapi', {
    ...world.env,
    POLICY_FILE: policyFile,
    DOCKSIDE_POLICY_RELOAD_MS: '100',
  });
});
afterAll(async () => {
  await t?.close();
  await world?.close();
});

describe('the approvals inbox API', () => {
  it('an approval shows the CRM values now beside the proposed ones, read once per account within a few seconds, and its draft with numbered sources', async () => {
    const c = world.customers['CUST-T1'];
    if (!c) throw new Error('no CUST-T1');
    const a = await lateScan(c.customerId);
    expect(a.write).toBeNull();
    const before = accountReads(c.accountId);
    const d = (await get('rita', `/api/approvals/${a.id}`)).body as unknown as Detail;
    expect(d.fields).toEqual([
      { name: 'ops_risk_level', value: 'high' },
      { name: 'ops_risk_reason', value: 'late_scan' },
    ]);
    expect(d.currentValues).toEqual({ ops_risk_level: 'low', ops_risk_reason: null });
    expect(Number.isNaN(Date.parse(d.currentValuesAt ?? ''))).toBe(false);
    expect(d.currentValuesError).toBeUndefined();
    // A second look (another person, same account) within the cache's few seconds reads nothing more.
    const again = (await get('ana', `/api/approvals/${a.id}`)).body as unknown as Detail;
    expect(again.currentValues).toEqual(d.currentValues);
    expect(accountReads(c.accountId) - before).toBe(1);

    // The draft: every statement's citations are numbered in its Sources list, which names each event.
    const draft = d.draft;
    if (!draft) throw new Error('the approval has no draft');
    expect(draft.sources.length).toBeGreaterThan(0);
    expect(draft.sources.map((s) => s.n)).toEqual(draft.sources.map((_, i) => i + 1));
    const numbered = new Set(draft.sources.map((s) => s.eventId));
    for (const s of draft.statements) for (const id of s.citations) expect(numbered.has(id)).toBe(true);
    for (const s of draft.sources) expect(s.eventId.endsWith(a.shipmentId)).toBe(true);
  });

  it('a failing CRM is said in the answer instead of failing the request', async () => {
    const c = world.customers['CUST-T1B'];
    if (!c) throw new Error('no CUST-T1B');
    const a = await lateScan(c.customerId);
    world.sf.failFor({ status: 503, durationMs: 60_000 });
    try {
      const r = await get('rita', `/api/approvals/${a.id}`);
      expect(r.status).toBe(200);
      const d = r.body as unknown as Detail;
      expect(d.currentValues).toBeNull();
      expect(d.currentValuesAt).toBeNull();
      expect(d.currentValuesError).toMatch(/CRM is unavailable: salesforce: .*503/);
      expect(d.fields.length).toBe(2);
      expect(d.waitingFor).toMatchObject({ step: 0, role: 'revops_manager' });
    } finally {
      world.sf.clearFaults();
    }
  });

  it('items carry their write: applied with its rollback window after both approve; history lists what I acted on; writes by approval', async () => {
    const c = world.customers['CUST-T1C'];
    if (!c) throw new Error('no CUST-T1C');
    const a = await lateScan(c.customerId);
    const first = await approve('rita', a.id, 0);
    expect(first.status).toBe('pending');
    expect(first.write).toBeNull();

    // Rita's history holds it while it waits for the owner; "waiting for me" no longer does.
    const history = await get('rita', '/api/approvals?involved=1&limit=1000');
    expect((history.body.items as Item[]).map((i) => i.id)).toContain(a.id);
    const waiting = await get('rita', '/api/approvals?mine=1&status=pending&limit=1000');
    expect((waiting.body.items as Item[]).map((i) => i.id)).not.toContain(a.id);
    const anaWaiting = await get('ana', '/api/approvals?mine=1&status=pending&limit=1000');
    expect((anaWaiting.body.items as Item[]).find((i) => i.id === a.id)?.waitingFor).toMatchObject({
      step: 1,
      role: 'account_owner',
    });
    // Bob owns other accounts: he sees nothing of it.
    expect((await get('bob', '/api/approvals?limit=1000')).body.items as Item[]).not.toContainEqual(
      expect.objectContaining({ id: a.id }),
    );

    const second = await approve('ana', a.id, 1);
    expect(second.status).toBe('approved');
    const item = await waitFor(
      'the applied write in the list item',
      async () => {
        const list = await get('ana', '/api/approvals?mine=1&status=approved&limit=1000');
        const i = (list.body.items as Item[]).find((x) => x.id === a.id);
        return i?.write?.status === 'applied' ? i : undefined;
      },
      30_000,
    );
    const w = item.write as WriteSummary;
    expect(w.id).toBe(a.writeId);
    expect(w.canRollBack).toBe(true);
    // The template's window: 120 minutes after the write.
    expect(Date.parse(w.rollbackClosesAt ?? '') - Date.parse(w.appliedAt ?? '')).toBe(120 * 60_000);
    expect(w.previous).toEqual({ ops_risk_level: 'low', ops_risk_reason: null });
    const detail = (await get('ana', `/api/approvals/${a.id}`)).body as unknown as Detail;
    expect(detail.write).toMatchObject({ id: a.writeId, status: 'applied', canRollBack: true });

    const byApproval = await get('ana', `/api/writebacks?approvalId=${a.id}`);
    expect(byApproval.status).toBe(200);
    expect((byApproval.body.items as { id: string }[]).map((x) => x.id)).toEqual([a.writeId]);
    const none = await get('admin', '/api/writebacks?approvalId=ap-0000-1');
    expect(none.body).toMatchObject({ items: [], total: 0 });
    const bad = await get('admin', '/api/writebacks?approvalId=x&bogus=1');
    expect(bad.status).toBe(400);
  });

  it('with the CRM off (the policy names a CRM that is not configured), the answer says so', async () => {
    const c = world.customers['CUST-T1'];
    if (!c) throw new Error('no CUST-T1');
    const a = await lateScan(c.customerId);
    writeFileSync(
      policyFile,
      readFileSync(TEMPLATE_POLICY, 'utf8').replace('system: salesforce', 'system: webhook'),
    );
    const d = await waitFor('the CRM to be off', async () => {
      const r = await get('rita', `/api/approvals/${a.id}`);
      expect(r.status).toBe(200);
      const body = r.body as unknown as Detail;
      return body.currentValues === null ? body : undefined;
    });
    expect(d.currentValuesAt).toBeNull();
    expect(d.currentValuesError).toMatch(/^no CRM is configured/);
    expect(d.fields.map((f) => f.name)).toEqual(['ops_risk_level', 'ops_risk_reason']);
  });
});

describe('draftSources', () => {
  it('reads the numbered Sources list of a draft text, event ids with colons included', () => {
    const text =
      'Your order left late [1][2]. It is on its way [2].\n\nSources:\n[1] pick-A: wms.pick at 2025-01-01T10:00:00.000Z\n[2] urn:epc:1: wms.pack at 2025-01-01T11:00:00.000Z\n';
    expect(draftSources(text)).toEqual([
      { n: 1, eventId: 'pick-A', type: 'wms.pick', occurredAt: '2025-01-01T10:00:00.000Z' },
      { n: 2, eventId: 'urn:epc:1', type: 'wms.pack', occurredAt: '2025-01-01T11:00:00.000Z' },
    ]);
    expect(draftSources('No sources here.')).toEqual([]);
  });
});
