import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDockside, type TestDockside } from '../helpers/dockside.ts';
import { waitFor } from '../helpers/wait.ts';
import {
  inventoryMismatchEvent,
  lateScanEvents,
  startWorld,
  type World,
} from '../helpers/writeback-world.ts';

/**
 * The write-back pipeline in one process on real NATS and embedded ClickHouse, with the Salesforce, Jira
 * and Slack contract servers and a real SMTP server: the template policy's decisions, end to end.
 */
let world: World;
let t: TestDockside;

const users = {
  rita: { roles: ['revops_manager'], userId: 'revops-rita', regions: ['us-midwest', 'us-southeast'] },
  ray: { roles: ['revops_manager'], userId: 'revops-ray', regions: ['us-midwest'] },
  ana: { roles: ['account_owner'], userId: 'owner-ana' },
  bob: { roles: ['account_owner'], userId: 'owner-bob' },
  dana: { roles: ['ops_dispatch_manager'], userId: 'dispatch-dana' },
  ingest: { roles: ['ingest'], userId: 'feed' },
  admin: { roles: ['admin'], userId: 'admin', regions: ['*'] },
} as const;
type Who = keyof typeof users;

async function api(who: Who, opts: InjectOptions) {
  const u = users[who];
  const token = t.auth.tokenFor(u.roles, { userId: u.userId, regions: 'regions' in u ? u.regions : [] });
  const res = await t.dockside.server.inject({
    ...opts,
    headers: { ...opts.headers, authorization: `Bearer ${token}` },
  });
  return { status: res.statusCode, body: res.body ? (JSON.parse(res.body) as Record<string, unknown>) : {} };
}

interface ApprovalItem {
  id: string;
  exceptionId: string;
  exceptionType: string;
  customerId: string;
  shipmentId: string;
  status: string;
  writeId: string;
  waitingFor: { step: number; role: string; deadline: string } | null;
  draft?: { text: string; statements: { citations: string[] }[] } | null;
}

async function approvalFor(shipmentId: string, who: Who = 'admin'): Promise<ApprovalItem> {
  return waitFor(`an approval for ${shipmentId}`, async () => {
    const r = await api(who, { method: 'GET', url: '/api/approvals?limit=1000' });
    return (r.body.items as ApprovalItem[] | undefined)?.find((a) => a.shipmentId === shipmentId);
  });
}

async function post(events: unknown[]) {
  const r = await api('ingest', { method: 'POST', url: '/api/events', payload: events });
  expect(r.status, JSON.stringify(r.body)).toBeLessThan(300);
}

beforeAll(async () => {
  world = await startWorld('wbpipe');
  t = await startTestDockside('wbpipe', world.env);
});
afterAll(async () => {
  await t?.close();
  await world?.close();
});

describe('governed write-back under the template policy', () => {
  it('tier1 late_scan at 0.92: a CRM task, a cited draft, and the two fields awaiting revops_manager then account_owner; one PATCH after both approve', async () => {
    const c = world.customers['CUST-T1'];
    if (!c) throw new Error('world has no CUST-T1');
    const { shipmentId, events } = lateScanEvents(c.customerId, 'tier1');
    await post(events);
    const a = await approvalFor(shipmentId);
    expect(a).toMatchObject({ exceptionType: 'late_scan', customerId: 'CUST-T1', status: 'pending' });
    expect(a.waitingFor).toMatchObject({ step: 0, role: 'revops_manager' });
    expect(Date.parse(a.waitingFor?.deadline ?? '') - Date.now()).toBeGreaterThan(25 * 60_000);

    const task = await waitFor('the CRM task on the account', () =>
      world.sf.tasks().find((x) => x.WhatId === c.accountId && String(x.Subject).includes(shipmentId)),
    );
    expect(task.Subject).toContain('late scan');
    const detail = await api('rita', { method: 'GET', url: `/api/approvals/${a.id}` });
    const draft = detail.body.draft as ApprovalItem['draft'];
    expect(draft?.text).toContain(shipmentId);
    expect(
      draft?.statements.every((s) => s.citations.includes(`commit-${shipmentId}`) || s.citations.length > 0),
    ).toBe(true);
    // Rita (revops for the region) is told by mail and the channel by Slack.
    await waitFor('the approval mail to rita', () =>
      world.mail.find((m) => m.to.includes('rita@example.com')),
    );
    await waitFor('the Slack post', () => world.slack.posts.find((p) => p.text?.includes(shipmentId)));
    expect(world.sf.patches.filter((p) => p.id === c.accountId)).toHaveLength(0);

    // Wrong people are refused: an owner at the revops step, another owner, a dispatcher (no permission).
    expect(
      (await api('ana', { method: 'POST', url: `/api/approvals/${a.id}/approve`, payload: { reason: 'x' } }))
        .status,
    ).toBe(403);
    expect(
      (await api('dana', { method: 'POST', url: `/api/approvals/${a.id}/approve`, payload: { reason: 'x' } }))
        .status,
    ).toBe(403);
    const withFields = await api('rita', {
      method: 'POST',
      url: `/api/approvals/${a.id}/approve`,
      payload: { reason: 'x', fields: { Ops_Risk_Level__c: 'critical' } },
    });
    expect(withFields.status).toBe(400);

    const first = await api('rita', {
      method: 'POST',
      url: `/api/approvals/${a.id}/approve`,
      payload: { reason: 'confirmed with the warehouse', step: 0 },
    });
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body).toMatchObject({ status: 'pending', waitingFor: { step: 1, role: 'account_owner' } });
    expect(
      (await api('bob', { method: 'POST', url: `/api/approvals/${a.id}/approve`, payload: { reason: 'x' } }))
        .status,
    ).toBe(403);
    const second = await api('ana', {
      method: 'POST',
      url: `/api/approvals/${a.id}/approve`,
      payload: { reason: 'customer informed', step: 1 },
    });
    expect(second.status, JSON.stringify(second.body)).toBe(200);
    expect(second.body.status).toBe('approved');

    await waitFor('the PATCH', () => (world.sf.patches.some((p) => p.id === c.accountId) ? true : undefined));
    await waitFor('the write marked applied', async () => {
      const w = await api('admin', { method: 'GET', url: `/api/writebacks/${a.writeId}` });
      return w.body.status === 'applied' ? w : undefined;
    });
    const patches = world.sf.patches.filter((p) => p.id === c.accountId);
    expect(patches).toHaveLength(1);
    expect(patches[0]?.body).toEqual({ Ops_Risk_Level__c: 'high', Ops_Risk_Reason__c: 'late_scan' });
    expect(world.sf.record('Account', c.accountId)?.Ops_Risk_Level__c).toBe('high');

    // The approved customer update (cited draft) goes to the customer's contact only now, after both steps.
    const update = await waitFor('the customer update mail', () =>
      world.mail.find((m) => m.to.includes('ops@cust-t1.example.com') && m.body.includes(shipmentId)),
    );
    expect(update.body).not.toMatch(/confidence|late_scan:|policy/i);
    // The inputs behind the draft are in the log (logging.prompt_logging: true).
    const drafted = await waitFor('the draft_created entry', async () => {
      const r = await api('admin', {
        method: 'GET',
        url: `/api/audit?kind=draft_created&exceptionId=${encodeURIComponent(a.exceptionId)}`,
      });
      return (r.body.items as { details: string }[] | undefined)?.[0];
    });
    expect(JSON.parse(drafted.details)).toMatchObject({ inputs: { exception: { id: a.exceptionId } } });

    // Rollback inside the window restores what was read before the write.
    const rb = await api('ana', {
      method: 'POST',
      url: `/api/writebacks/${a.writeId}/rollback`,
      payload: { reason: 'customer called' },
    });
    expect(rb.status, JSON.stringify(rb.body)).toBe(200);
    expect(rb.body.status).toBe('rolled_back');
    expect(world.sf.record('Account', c.accountId)).toMatchObject({
      Ops_Risk_Level__c: 'low',
      Ops_Risk_Reason__c: null,
    });
    const again = await api('ana', {
      method: 'POST',
      url: `/api/writebacks/${a.writeId}/rollback`,
      payload: { reason: 'twice' },
    });
    expect(again).toMatchObject({ status: 409, body: { error: { code: 'ALREADY_ROLLED_BACK' } } });
  });

  it('tier3 late_scan at 0.92 ≥ 0.85: ops_risk_level=medium written with no approval', async () => {
    const c = world.customers['CUST-T3'];
    if (!c) throw new Error('world has no CUST-T3');
    const { shipmentId, events } = lateScanEvents(c.customerId, 'tier3');
    await post(events);
    await waitFor('the tier3 PATCH', () => world.sf.patches.find((p) => p.id === c.accountId));
    expect(world.sf.patches.filter((p) => p.id === c.accountId).map((p) => p.body)).toEqual([
      { Ops_Risk_Level__c: 'medium' },
    ]);
    const listed = await api('admin', { method: 'GET', url: `/api/approvals?customerId=${c.customerId}` });
    expect((listed.body.items as ApprovalItem[]).filter((a) => a.shipmentId === shipmentId)).toHaveLength(0);
  });

  it('inventory_mismatch of 12 units: no write-back, one Jira issue in OPSDATA with priority P2', async () => {
    const e = inventoryMismatchEvent();
    await post([e]);
    const issue = await waitFor('the Jira issue', () =>
      world.jira.issues().find((i) => JSON.stringify(i).includes(e.sku)),
    );
    expect(issue).toMatchObject({ project: 'OPSDATA', priority: 'P2' });
    expect(world.jira.issues().filter((i) => JSON.stringify(i).includes(e.sku))).toHaveLength(1);
  });

  it('a customer outside the policy regions: a region_not_allowed decision, nothing written', async () => {
    const c = world.customers['CUST-WEST'];
    if (!c) throw new Error('world has no CUST-WEST');
    const { events } = lateScanEvents(c.customerId, 'tier1');
    await post(events);
    const entry = await waitFor('the region_not_allowed decision in the log', async () => {
      const r = await api('admin', {
        method: 'GET',
        url: `/api/audit?customerId=${c.customerId}&kind=decision`,
      });
      return (r.body.items as { reasonCode: string }[] | undefined)?.find(
        (i) => i.reasonCode === 'region_not_allowed',
      );
    });
    expect(entry).toBeDefined();
    expect(world.sf.patches.filter((p) => p.id === c.accountId)).toHaveLength(0);
    expect(world.sf.tasks().filter((x) => x.WhatId === c.accountId)).toHaveLength(0);
  });

  it('a command naming a field outside the policy writes nothing (the executor keeps only policy fields)', async () => {
    const c = world.customers['CUST-T1B'];
    if (!c) throw new Error('world has no CUST-T1B');
    const forged = {
      kind: 'crm_write',
      id: 'wr-0000000000000000f0f0',
      exceptionId: 'late_scan:forged',
      policyVersion: 'v1-forged',
      evidence: [],
      detectedAt: new Date().toISOString(),
      customerId: c.customerId,
      account: { id: c.accountId },
      fields: [{ name: 'annual_revenue', value: 1 }],
      actor: 'mallory',
    };
    await t.dockside.nc.request(`${t.prefix}.outbox.crm_write`, JSON.stringify(forged), { timeout: 5_000 });
    const w = await waitFor('the refused write', async () => {
      const r = await api('admin', { method: 'GET', url: `/api/writebacks/${forged.id}` });
      return r.body.status === 'failed' ? r.body : undefined;
    });
    expect(w.failure).toMatch(/no field of the write is allowed by the policy/);
    expect(world.sf.patches.filter((p) => p.id === c.accountId)).toHaveLength(0);
  });

  it('a rollback is refused, naming the field, when someone changed the CRM value since the write', async () => {
    const c = world.customers['CUST-T3'];
    if (!c) throw new Error('world has no CUST-T3');
    const writes = await api('admin', {
      method: 'GET',
      url: `/api/writebacks?customerId=${c.customerId}&status=applied`,
    });
    const w = (writes.body.items as { id: string }[])[0];
    if (!w) throw new Error('no applied write for CUST-T3');
    // A person edits the field in the CRM (through the same REST API, with its own client).
    const { SalesforceAdapter } = await import('../../writeback/crm/salesforce.ts');
    const sfConfig = t.dockside.config.writeback.salesforce;
    if (!sfConfig) throw new Error('no Salesforce config');
    await new SalesforceAdapter(sfConfig).writeFields(
      { id: c.accountId },
      { ops_risk_level: 'critical' },
      'a-person',
    );
    const rb = await api('bob', {
      method: 'POST',
      url: `/api/writebacks/${w.id}/rollback`,
      payload: { reason: 'undo' },
    });
    expect(rb.status).toBe(409);
    expect(rb.body.error).toMatchObject({ code: 'ROLLBACK_CONFLICT' });
    expect(String((rb.body.error as { message: string }).message)).toContain(
      'ops_risk_level is now "critical"',
    );
    // The person's value stands.
    expect(world.sf.record('Account', c.accountId)?.Ops_Risk_Level__c).toBe('critical');
  });

  it('exports the notification latency beside its SLO target, and the KPI thresholds, in /metrics', async () => {
    const res = await t.dockside.server.inject({
      method: 'GET',
      url: '/metrics',
      headers: t.headers('monitor'),
    });
    expect(res.statusCode).toBe(200);
    expect(res.body).toMatch(/dockside_notification_latency_seconds_count\{about="approval_needed"\} [1-9]/);
    expect(res.body).toContain('dockside_slo_target_seconds{slo="notification_latency_minutes_p95"} 900');
    expect(res.body).toContain('dockside_kpi_threshold{kpi="wismo_per_100_orders"} 12');
    expect(res.body).toMatch(/dockside_notification_latency_p95_seconds \d/);
  });

  it('the decision log verifies', async () => {
    const r = await waitFor('a verified log with entries', async () => {
      const v = await api('admin', { method: 'GET', url: '/api/audit/verify' });
      const chains = v.body.chains as { entries: number }[] | undefined;
      return v.body.ok === true && (chains?.reduce((n, c) => n + c.entries, 0) ?? 0) > 5 ? v : undefined;
    });
    expect(r.body.ok).toBe(true);
  });
});
