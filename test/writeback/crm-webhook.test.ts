import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { WebhookAdapter } from '../../writeback/crm/webhook.ts';
import { verifyWebhookSignature, webhookSignature } from '../../writeback/crm/webhook-signature.ts';
import { TargetRejectedError, TargetUnavailableError } from '../../writeback/errors.ts';
import {
  Faults,
  parseJson,
  type RunningServer,
  readBody,
  sendJson,
  startServer,
} from '../contract/http-util.ts';

const SECRET = 'webhook-secret-0123456789abcdef';

/**
 * A reference receiver written to the contract documented in writeback/crm/webhook.ts: it verifies the
 * signature over the raw body before parsing, applies each Idempotency-Key once, and keeps fields and tasks.
 */
const payload = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('fields.read'),
    account: z.object({ id: z.string() }),
    fields: z.array(z.string()),
  }),
  z.object({
    type: z.literal('fields.write'),
    account: z.object({ id: z.string() }),
    values: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
  }),
  z.object({
    type: z.literal('task.upsert'),
    account: z.object({ id: z.string() }),
    task: z.object({ key: z.string() }),
  }),
]);

interface Received {
  readonly signature: string;
  readonly idempotencyKey: string;
  readonly body: string;
}

let server: RunningServer;
const received: Received[] = [];
const fields = new Map<string, Record<string, string | number | boolean | null>>();
const applied = new Set<string>();
const tasks = new Map<string, string>();
const faults = new Faults<503, string>();

beforeAll(async () => {
  server = await startServer(async (req, res) => {
    const body = await readBody(req);
    const signature = String(req.headers['dockside-signature'] ?? '');
    const idempotencyKey = String(req.headers['idempotency-key'] ?? '');
    received.push({ signature, idempotencyKey, body });
    const fault = faults.take();
    if (fault)
      return sendJson(
        res,
        fault.status,
        { error: 'maintenance' },
        { 'Retry-After': String(fault.retryAfterSec ?? 1) },
      );
    const check = verifyWebhookSignature(SECRET, signature, body, 300);
    if (!check.ok) return sendJson(res, 401, { error: { code: 'BAD_SIGNATURE', message: check.reason } });
    const json = parseJson(body);
    const p = payload.safeParse(json.ok ? json.value : undefined);
    if (!p.success) return sendJson(res, 400, { error: 'not a Dockside payload' });
    const m = p.data;
    const current = fields.get(m.account.id) ?? {};
    if (m.type === 'fields.read')
      return sendJson(res, 200, { values: Object.fromEntries(m.fields.map((f) => [f, current[f] ?? null])) });
    if (m.type === 'fields.write') {
      if (!applied.has(idempotencyKey)) fields.set(m.account.id, { ...current, ...m.values });
      applied.add(idempotencyKey);
      return sendJson(res, 204, undefined);
    }
    if (!tasks.has(m.task.key)) tasks.set(m.task.key, `T-${tasks.size + 1}`);
    return sendJson(res, 200, { id: tasks.get(m.task.key) });
  });
});
afterAll(() => server.close());

describe('WebhookAdapter with a reference receiver', () => {
  it('writes, reads back and upserts tasks through signed requests', async () => {
    const crm = new WebhookAdapter({ url: `${server.url}/hooks/dockside`, secret: SECRET });
    await crm.writeFields({ id: 'A-1' }, { ops_risk_level: 'high', ops_risk_reason: 'late_scan' }, 'write-1');
    await crm.writeFields({ id: 'A-1' }, { ops_risk_level: 'high', ops_risk_reason: 'late_scan' }, 'write-1');
    expect(await crm.readFields({ id: 'A-1' }, ['ops_risk_level', 'ops_risk_reason', 'other'])).toEqual({
      ops_risk_level: 'high',
      ops_risk_reason: 'late_scan',
      other: null,
    });
    const first = received[0] as Received;
    expect(first.signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(first.idempotencyKey).toBe('write-1');
    expect(JSON.parse(first.body)).toEqual({
      type: 'fields.write',
      idempotencyKey: 'write-1',
      account: { id: 'A-1' },
      values: { ops_risk_level: 'high', ops_risk_reason: 'late_scan' },
    });
    const task = { key: 'act-9', subject: 'Call the customer', description: 'Evidence e1' };
    const a = await crm.upsertTask({ id: 'A-1' }, task);
    const b = await crm.upsertTask({ id: 'A-1' }, task);
    expect(a).toEqual({ id: 'T-1' });
    expect(b).toEqual(a);
    expect(tasks.size).toBe(1);
  });

  it('refuses a tampered body, a stale timestamp, a wrong secret and a missing header', () => {
    const body = JSON.stringify({
      type: 'fields.write',
      account: { id: 'A-1' },
      values: { ops_risk_level: 'low' },
    });
    const now = 1_700_000_000;
    const header = webhookSignature(SECRET, body, now);
    expect(verifyWebhookSignature(SECRET, header, body, 300, now + 10)).toEqual({ ok: true });
    const tampered = body.replace('low', 'high');
    expect(verifyWebhookSignature(SECRET, header, tampered, 300, now)).toEqual({
      ok: false,
      reason: 'no signature matches the body',
    });
    expect(verifyWebhookSignature(SECRET, header, body, 300, now + 301)).toMatchObject({ ok: false });
    expect(verifyWebhookSignature('another-secret-0123456789', header, body, 300, now)).toMatchObject({
      ok: false,
    });
    expect(verifyWebhookSignature(SECRET, undefined, body, 300, now)).toMatchObject({
      ok: false,
      reason: 'missing Dockside-Signature header',
    });
    // Secret rotation: any one v1 entry may match.
    const rotated = `${header},v1=${'0'.repeat(64)}`;
    expect(verifyWebhookSignature(SECRET, rotated, body, 300, now)).toEqual({ ok: true });
  });

  it('maps the receiver refusing the signature to a rejection quoting its message', async () => {
    const crm = new WebhookAdapter({ url: server.url, secret: 'not-the-receivers-secret' });
    const err = await crm
      .writeFields({ id: 'A-2' }, { ops_risk_level: 'high' }, 'write-2')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TargetRejectedError);
    expect(err).toMatchObject({ code: 'BAD_SIGNATURE', status: 401, target: 'webhook' });
    expect((err as Error).message).toContain('no signature matches the body');
    expect(fields.has('A-2')).toBe(false);
  });

  it('maps a 503 to unavailable with Retry-After', async () => {
    const crm = new WebhookAdapter({ url: server.url, secret: SECRET });
    faults.set({ status: 503, count: 1, retryAfterSec: 2 });
    const err = await crm.readFields({ id: 'A-1' }, ['ops_risk_level']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TargetUnavailableError);
    expect(err).toMatchObject({ status: 503, retryAfterMs: 2_000 });
  });
});
