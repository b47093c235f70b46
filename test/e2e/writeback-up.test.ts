import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callApi, testUp } from '../helpers/up.ts';
import { waitFor } from '../helpers/wait.ts';
import { lateScanEvents, startWorld, TEMPLATE_POLICY, type World } from '../helpers/writeback-world.ts';

/**
 * `dockside up` as a real process, with real NATS, embedded ClickHouse, and the Salesforce contract server:
 * tier1 late scans approved by the two roles in order through the HTTP API give exactly one PATCH with
 * exactly the policy's fields — also when the CRM fails with 503 for 20 s, and when Dockside is killed
 * (SIGKILL) between the PATCH and its acknowledgement. Rollback works inside the window, not after it.
 */
const up = testUp('wbup');
const auth = up.auth;
let world: World;
let url = '';
let env: Record<string, string> = {};

const people = {
  rita: { roles: ['revops_manager'], userId: 'revops-rita', regions: ['us-midwest', 'us-southeast'] },
  ana: { roles: ['account_owner'], userId: 'owner-ana', regions: [] as string[] },
  ingest: { roles: ['ingest'], userId: 'feed', regions: [] as string[] },
  admin: { roles: ['admin'], userId: 'admin', regions: ['*'] },
};
type Who = keyof typeof people;

function call(who: Who, method: string, route: string, body?: unknown) {
  const p = people[who];
  return callApi(url, auth.tokenFor(p.roles, { userId: p.userId, regions: p.regions }), method, route, body);
}

interface Approval {
  id: string;
  shipmentId: string;
  writeId: string;
  status: string;
}

async function approveBoth(shipmentId: string): Promise<Approval> {
  const a = await waitFor(
    `the approval for ${shipmentId}`,
    async () => {
      const r = await call('admin', 'GET', '/api/approvals?status=pending&limit=1000');
      return (r.body.items as Approval[] | undefined)?.find((x) => x.shipmentId === shipmentId);
    },
    30_000,
  );
  const first = await call('rita', 'POST', `/api/approvals/${a.id}/approve`, {
    reason: 'ops confirmed',
    step: 0,
  });
  expect(first.status, JSON.stringify(first.body)).toBe(200);
  const second = await call('ana', 'POST', `/api/approvals/${a.id}/approve`, {
    reason: 'customer told',
    step: 1,
  });
  expect(second.status, JSON.stringify(second.body)).toBe(200);
  expect(second.body.status).toBe('approved');
  return a;
}

async function applied(writeId: string, timeoutMs = 30_000) {
  return waitFor(
    `write ${writeId} applied`,
    async () => {
      const r = await call('admin', 'GET', `/api/writebacks/${writeId}`);
      return r.body.status === 'applied' ? r.body : undefined;
    },
    timeoutMs,
  );
}

const patchesOf = (accountId: string) =>
  world.sf.patches.filter((p) => p.object === 'Account' && p.id === accountId);

beforeAll(async () => {
  world = await startWorld('wbup');
  // The template with a short rollback window (0.1 min), so "outside the window" needs seconds, not hours.
  const policy = path.join(world.dir, 'policy.yaml');
  writeFileSync(
    policy,
    readFileSync(TEMPLATE_POLICY, 'utf8').replace(
      'max_minutes_since_writeback: 120',
      'max_minutes_since_writeback: 0.1',
    ),
  );
  env = {
    ...world.env,
    POLICY_FILE: policy,
    DOCKSIDE_OUTBOX_ACK_WAIT_MS: '3000',
    DOCKSIDE_WRITE_MAX_ATTEMPTS: '40',
  };
  url = await up.start(env);
}, 90_000);

afterAll(async () => {
  await up.close();
  await world?.close();
});

describe('write-back end to end on dockside up', () => {
  it('two approvals in order through the API → exactly one PATCH with exactly the policy fields; rollback restores', async () => {
    const c = world.customers['CUST-T1'];
    if (!c) throw new Error('no CUST-T1');
    const { shipmentId, events } = lateScanEvents(c.customerId, 'tier1');
    expect((await call('ingest', 'POST', '/api/events', events)).status).toBe(200);
    const a = await approveBoth(shipmentId);
    await applied(a.writeId);
    expect(patchesOf(c.accountId).map((p) => p.body)).toEqual([
      { Ops_Risk_Level__c: 'high', Ops_Risk_Reason__c: 'late_scan' },
    ]);
    expect(world.sf.appliedChanges(c.accountId)).toBe(1);

    const rb = await call('ana', 'POST', `/api/writebacks/${a.writeId}/rollback`, {
      reason: 'resolved with the customer',
    });
    expect(rb.status, JSON.stringify(rb.body)).toBe(200);
    expect(world.sf.record('Account', c.accountId)).toMatchObject({
      Ops_Risk_Level__c: 'low',
      Ops_Risk_Reason__c: null,
    });
  });

  it('the CRM answering 503 for 20 s, then recovering: still exactly one applied PATCH; rollback refused after the window', async () => {
    const c = world.customers['CUST-T1B'];
    if (!c) throw new Error('no CUST-T1B');
    const { shipmentId, events } = lateScanEvents(c.customerId, 'tier1');
    await call('ingest', 'POST', '/api/events', events);
    world.sf.failFor({ status: 503, durationMs: 20_000 });
    const failingSince = Date.now();
    const a = await approveBoth(shipmentId);
    const w = await applied(a.writeId, 60_000);
    expect(Date.now() - failingSince).toBeGreaterThanOrEqual(20_000);
    expect(patchesOf(c.accountId).map((p) => p.body)).toEqual([
      { Ops_Risk_Level__c: 'high', Ops_Risk_Reason__c: 'late_scan' },
    ]);
    expect(world.sf.appliedChanges(c.accountId)).toBe(1);
    expect((w.attempts as { outcome: string }[]).filter((x) => x.outcome === 'retry').length).toBeGreaterThan(
      0,
    );

    // The window is 0.1 min here: 6 s after the write, a rollback is refused with the reason.
    await waitFor(
      'the rollback window to close',
      async () => {
        const r = await call('admin', 'GET', `/api/writebacks/${a.writeId}`);
        return r.body.canRollBack === false ? true : undefined;
      },
      20_000,
    );
    const late = await call('ana', 'POST', `/api/writebacks/${a.writeId}/rollback`, { reason: 'too late' });
    expect(late.status).toBe(409);
    expect(late.body.error).toMatchObject({ code: 'ROLLBACK_WINDOW_CLOSED' });
    expect(String((late.body.error as { message: string }).message)).toMatch(/within 0.1 minutes/);
    expect(world.sf.record('Account', c.accountId)?.Ops_Risk_Level__c).toBe('high');
  }, 90_000);

  it('Dockside killed (SIGKILL) between the PATCH and its acknowledgement → still exactly one applied change', async () => {
    const c = world.customers['CUST-T1C'];
    if (!c) throw new Error('no CUST-T1C');
    const { shipmentId, events } = lateScanEvents(c.customerId, 'tier1');
    await call('ingest', 'POST', '/api/events', events);
    const victim = up.proc;
    let killed = false;
    world.sf.onApply = async (entry) => {
      if (entry.object !== 'Account' || entry.id !== c.accountId || killed) return;
      killed = true;
      victim?.child.kill('SIGKILL');
      await victim?.exited;
    };
    const a = await approveBoth(shipmentId);
    await waitFor('the kill during the PATCH', () => (killed ? true : undefined), 30_000);
    world.sf.onApply = undefined;
    expect(world.sf.appliedChanges(c.accountId)).toBe(1);

    url = await up.start(env);
    const w = await applied(a.writeId, 60_000);
    // The restarted process read the CRM, found the values already there, and sent nothing.
    expect((w.attempts as { outcome: string }[]).map((x) => x.outcome)).toContain('already_applied');
    expect(patchesOf(c.accountId)).toHaveLength(1);
    expect(world.sf.appliedChanges(c.accountId)).toBe(1);
    expect(world.sf.record('Account', c.accountId)?.Ops_Risk_Level__c).toBe('high');
  }, 120_000);
});
