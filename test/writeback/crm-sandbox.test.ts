import { type KV, Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxCrm } from '../../writeback/crm/sandbox.ts';
import { uniquePrefix } from '../helpers/env.ts';

// Two connections stand for two Dockside processes sharing the sandbox bucket.
let ncA: NatsConnection;
let ncB: NatsConnection;
let kvA: KV;
let kvB: KV;
const bucket = `${uniquePrefix('sbx')}_sandbox_crm`;

beforeAll(async () => {
  ncA = await connect({ servers: 'nats://127.0.0.1:4222' });
  ncB = await connect({ servers: 'nats://127.0.0.1:4222' });
  kvA = await new Kvm(ncA).create(bucket, { history: 1 });
  kvB = await new Kvm(ncB).open(bucket);
});
afterAll(async () => {
  await kvA?.destroy();
  await ncA?.close();
  await ncB?.close();
});

describe('SandboxCrm on NATS KV', () => {
  it('shows one process the writes of another, and a rollback restores the old values', async () => {
    const a = new SandboxCrm(kvA);
    const b = new SandboxCrm(kvB);
    const acct = { id: '001/with odd chars é' };
    expect(await b.readFields(acct, ['ops_risk_level'])).toEqual({ ops_risk_level: null });
    await a.writeFields(acct, { ops_risk_level: 'medium', ops_risk_reason: 'late_scan' }, 'w-1');
    const previous = await b.readFields(acct, ['ops_risk_level', 'ops_risk_reason']);
    expect(previous).toEqual({ ops_risk_level: 'medium', ops_risk_reason: 'late_scan' });
    await b.writeFields(acct, { ops_risk_level: 'high' }, 'w-2');
    expect(await a.readFields(acct, ['ops_risk_level', 'ops_risk_reason'])).toEqual({
      ops_risk_level: 'high',
      ops_risk_reason: 'late_scan',
    });
    await a.writeFields(acct, previous, 'rollback-w-2');
    expect(await b.readFields(acct, ['ops_risk_level'])).toEqual({ ops_risk_level: 'medium' });
    expect(await b.account(acct)).toMatchObject({ writes: 3, lastKey: 'rollback-w-2' });
  });

  it('keeps both fields when two processes write one account at the same time', async () => {
    const a = new SandboxCrm(kvA);
    const b = new SandboxCrm(kvB);
    const acct = { externalId: 'C-42' };
    await Promise.all([
      a.writeFields(acct, { ops_risk_level: 'high' }, 'x-1'),
      b.writeFields(acct, { ops_risk_reason: 'late_scan' }, 'x-2'),
    ]);
    expect(await a.readFields(acct, ['ops_risk_level', 'ops_risk_reason'])).toEqual({
      ops_risk_level: 'high',
      ops_risk_reason: 'late_scan',
    });
    const listed = await b.listAccounts();
    expect(listed.find((x) => x.externalId === 'C-42')?.fields).toEqual({
      ops_risk_level: 'high',
      ops_risk_reason: 'late_scan',
    });
  });

  it('makes one task per key, even when both processes create it at once', async () => {
    const a = new SandboxCrm(kvA);
    const b = new SandboxCrm(kvB);
    const task = {
      key: 'act-7',
      subject: 'Call the customer',
      description: 'Evidence e1',
      priority: 'High' as const,
    };
    const [x, y] = await Promise.all([a.upsertTask({ id: 'A-7' }, task), b.upsertTask({ id: 'A-7' }, task)]);
    const z = await a.upsertTask({ id: 'A-7' }, task);
    expect(y).toEqual(x);
    expect(z).toEqual(x);
    const tasks = (await b.listTasks()).filter((t) => t.key === 'act-7');
    expect(tasks).toHaveLength(1);
    expect(tasks[0]).toMatchObject({ id: x.id, account: { id: 'A-7' }, priority: 'High' });
  });

  it('refuses an account with neither id nor external id', async () => {
    const a = new SandboxCrm(kvA);
    await expect(a.readFields({}, ['ops_risk_level'])).rejects.toMatchObject({
      code: 'ACCOUNT_UNADDRESSABLE',
    });
  });
});
