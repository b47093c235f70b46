import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDockside, type TestDockside } from '../helpers/dockside.ts';
import { waitFor } from '../helpers/wait.ts';
import { lateScanEvents, startWorld, TEMPLATE_POLICY, type World } from '../helpers/writeback-world.ts';

/**
 * The write-back's life around a decision: step timeouts (escalation, then expiry), withdrawal when the
 * exception resolves, a person sending a held proposal to approval (and not approving it themselves),
 * a dead-lettered write re-driven after the CRM recovers, and the policy reloaded (or refused) while running.
 * The policy is the template with step timeouts of seconds, in a file the test rewrites.
 */
let world: World;
let t: TestDockside;
let policyFile = '';
const template = readFileSync(TEMPLATE_POLICY, 'utf8');
// Step 1 times out in 1.2 s; tier1's gate at 0.85, so a late scan without WMS activity (0.81) is held.
const fast = template
  .replace('timeout_minutes: 30', 'timeout_minutes: 0.02')
  .replace('confidence_min: 0.78', 'confidence_min: 0.85');

type Body = Record<string, unknown>;
async function api(roles: string[], userId: string, opts: InjectOptions, regions: string[] = []) {
  const token = t.auth.tokenFor(roles, { userId, regions });
  const res = await t.dockside.server.inject({
    ...opts,
    headers: { ...opts.headers, authorization: `Bearer ${token}` },
  });
  return { status: res.statusCode, body: (res.body ? JSON.parse(res.body) : {}) as Body };
}
const admin = (opts: InjectOptions) => api(['admin'], 'admin', opts, ['*']);

async function post(events: unknown[]) {
  const r = await api(['ingest'], 'feed', { method: 'POST', url: '/api/events', payload: events });
  expect(r.status).toBe(200);
}

interface Item {
  id: string;
  shipmentId: string;
  exceptionId: string;
  status: string;
  writeId: string;
  triggeredBy: string;
  steps: { escalated: boolean; status: string }[];
}
async function approvalOf(shipmentId: string, status?: string): Promise<Item> {
  return waitFor(
    `approval of ${shipmentId}${status ? ` (${status})` : ''}`,
    async () => {
      const r = await admin({ method: 'GET', url: '/api/approvals?limit=1000' });
      const a = (r.body.items as Item[]).find((x) => x.shipmentId === shipmentId);
      return a && (!status || a.status === status) ? a : undefined;
    },
    30_000,
  );
}

beforeAll(async () => {
  world = await startWorld('life');
  policyFile = path.join(world.dir, 'policy.yaml');
  writeFileSync(policyFile, fast);
  t = await startTestDockside('life', {
    ...world.env,
    POLICY_FILE: policyFile,
    DOCKSIDE_POLICY_RELOAD_MS: '100',
    DOCKSIDE_WRITE_MAX_ATTEMPTS: '2',
    DOCKSIDE_WRITE_BACKOFF_MAX_MS: '300',
  });
});
afterAll(async () => {
  await t?.close();
  await world?.close();
});

describe('approvals over time', () => {
  it('a step that times out escalates once (the admin may act, holders are told again), then expires', async () => {
    const { shipmentId, events } = lateScanEvents('CUST-T1', 'tier1');
    await post(events);
    const escalated = await waitFor('the escalation', async () => {
      const a = await approvalOf(shipmentId);
      return a.steps[0]?.escalated ? a : undefined;
    });
    expect(escalated.status).toBe('pending');
    const expired = await approvalOf(shipmentId, 'expired');
    expect(expired.steps[0]?.status).toBe('expired');
    const kinds = await waitFor('the three transitions in the log', async () => {
      const audit = await admin({ method: 'GET', url: `/api/audit?ref=${expired.id}&order=asc` });
      const k = (audit.body.items as { kind: string }[]).map((i) => i.kind);
      return k.includes('approval_expired') ? k : undefined;
    });
    expect(kinds).toEqual(['approval_created', 'approval_escalated', 'approval_expired']);
    const notices = await waitFor('the expiry notice', () =>
      world.mail.find(
        (m) => m.headers.get('subject')?.toLowerCase().includes('expired') && m.body.includes(shipmentId),
      ),
    );
    expect(notices.to).toContain('rita@example.com');
    expect(world.sf.patches.filter((p) => p.id === world.customers['CUST-T1']?.accountId)).toHaveLength(0);
  });

  it('a resolved exception withdraws its pending approval', async () => {
    const { shipmentId, events } = lateScanEvents('CUST-T1B', 'tier1');
    await post(events);
    const a = await approvalOf(shipmentId, 'pending');
    const seen = await admin({ url: `/api/exceptions/${encodeURIComponent(a.exceptionId)}` });
    const r = await api(['ops_dispatch_manager'], 'dispatch-dana', {
      method: 'POST',
      url: `/api/exceptions/${encodeURIComponent(a.exceptionId)}/resolve`,
      payload: { resolution: 'shipped from the overflow dock', expectedVersion: seen.body.version },
    });
    expect(r.status).toBe(202);
    expect((await approvalOf(shipmentId, 'withdrawn')).status).toBe('withdrawn');
  });

  it('a held proposal sent to approval by a person, who then cannot approve it', async () => {
    const { shipmentId, events } = lateScanEvents('CUST-T1C', 'tier1', Date.now(), {
      wmsBeforeDeadline: false,
    });
    await post(events);
    const ex = await waitFor('the held late scan', async () => {
      const r = await admin({ method: 'GET', url: '/api/exceptions?type=late_scan&limit=1000' });
      return (r.body.items as { id: string; shipmentId: string; confidence: number }[]).find(
        (x) => x.shipmentId === shipmentId,
      );
    });
    expect(ex.confidence).toBeLessThan(0.85);
    // Both a triggerer and a RevOps manager: may trigger, may never approve what they triggered.
    const both = ['ops_dispatch_manager', 'revops_manager'];
    const url = `/api/exceptions/${encodeURIComponent(ex.id)}/writeback`;
    const withFields = await api(
      both,
      'dana-rv',
      { method: 'POST', url, payload: { reason: 'x', fields: { a: 1 } } },
      ['*'],
    );
    expect(withFields.status).toBe(400);
    const trig = await api(
      both,
      'dana-rv',
      { method: 'POST', url, payload: { reason: 'customer called twice' } },
      ['*'],
    );
    expect(trig.status, JSON.stringify(trig.body)).toBe(201);
    expect(trig.body).toMatchObject({
      triggeredBy: 'dana-rv',
      reasonCode: 'manual_trigger',
      status: 'pending',
    });
    const self = await api(
      both,
      'dana-rv',
      {
        method: 'POST',
        url: `/api/approvals/${String(trig.body.id)}/approve`,
        payload: { reason: 'mine' },
      },
      ['*'],
    );
    expect(self.status).toBe(403);
    expect(self.body.error).toMatchObject({ code: 'SELF_APPROVAL' });
    const again = await api(both, 'dana-rv', { method: 'POST', url, payload: { reason: 'again' } }, ['*']);
    expect(again).toMatchObject({ status: 409, body: { error: { code: 'APPROVAL_EXISTS' } } });
  });
});

describe('writes that fail', () => {
  it('a write that keeps failing is dead-lettered with its attempts, and re-driven once the CRM is back', async () => {
    const c = world.customers['CUST-T3'];
    if (!c) throw new Error('no CUST-T3');
    world.sf.failFor({ status: 503, durationMs: 60_000 });
    const { events } = lateScanEvents(c.customerId, 'tier3');
    await post(events);
    const failed = await waitFor(
      'the failed write',
      async () => {
        const r = await admin({ method: 'GET', url: '/api/writebacks?status=failed' });
        return (r.body.items as { id: string; customerId: string; attempts: unknown[] }[]).find(
          (w) => w.customerId === c.customerId,
        );
      },
      30_000,
    );
    expect(failed.attempts.length).toBeGreaterThanOrEqual(2);
    world.sf.clearFaults();
    const r = await admin({ method: 'POST', url: `/api/writebacks/${failed.id}/redrive` });
    expect(r.status).toBe(202);
    await waitFor('the re-driven write applied', async () => {
      const w = await admin({ method: 'GET', url: `/api/writebacks/${failed.id}` });
      return w.body.status === 'applied' ? true : undefined;
    });
    expect(world.sf.patches.filter((p) => p.id === c.accountId).map((p) => p.body)).toEqual([
      { Ops_Risk_Level__c: 'medium' },
    ]);
  });
});

describe('policy reload while running', () => {
  it('takes a changed file (new version, logged), refuses a broken one and keeps the old', async () => {
    const before = String(((await admin({ method: 'GET', url: '/api/policy' })).body.active as Body).version);
    const replace = (text: string) => {
      writeFileSync(`${policyFile}.tmp`, text);
      renameSync(`${policyFile}.tmp`, policyFile);
    };
    replace(fast.replace('max_minutes_since_writeback: 120', 'max_minutes_since_writeback: 90'));
    const after = await waitFor('the reloaded policy', async () => {
      const v = String(((await admin({ method: 'GET', url: '/api/policy' })).body.active as Body).version);
      return v !== before ? v : undefined;
    });
    replace('version: one\npolicy_name: broken\n');
    const rejected = await waitFor('the refusal in the log', async () => {
      const r = await admin({ method: 'GET', url: '/api/audit?chain=sys&kind=policy_rejected' });
      return (r.body.items as { details: string }[])[0];
    });
    expect(rejected.details).toContain('version');
    const now = String(((await admin({ method: 'GET', url: '/api/policy' })).body.active as Body).version);
    expect(now).toBe(after);
    const loads = await admin({ method: 'GET', url: '/api/audit?chain=sys&kind=policy_loaded&order=asc' });
    expect(
      (loads.body.items as { reasonCode: string; policyVersion: string }[]).map((i) => [
        i.reasonCode,
        i.policyVersion,
      ]),
    ).toEqual([
      ['start', before],
      ['reload', after],
    ]);
  });
});
