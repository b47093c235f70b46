import { type KV, Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, JsonKv } from '../../core/mod.ts';
import type { IncidentRef } from '../../writeback/notify/incident-fold.ts';
import { incidentNoticeSchema } from '../../writeback/notify/incident-fold.ts';
import { Mailer } from '../../writeback/notify/mailer.ts';
import type { CommandOf } from '../../writeback/pipeline/commands.ts';
import { type EffectDeps, runNotify } from '../../writeback/pipeline/effect-handlers.ts';
import { uniquePrefix } from '../helpers/env.ts';
import { startSmtp } from '../helpers/smtp.ts';

/**
 * Notices per incident, not per member (issue 13): runNotify with a real SMTP server and the real NATS KV
 * bucket that decides the first notice per (incident, kind, recipients). The incident lookup is the port the
 * runtime fills from the live incident view (test/exceptions/incidents-live.test.ts covers that view).
 */
let nc: NatsConnection;
let kv: KV;
let smtp: Awaited<ReturnType<typeof startSmtp>>;
let mailer: Mailer;
const bucket = `${uniquePrefix('incnt')}_incident_notices`;
const INCIDENT: IncidentRef = {
  id: 'inc:0123456789abcdef01234567',
  title: '12 late scans at WH-A, carrier CARR-1, 2026-03-02 03:27–06:37 UTC',
  status: 'open',
  members: 12,
};
const members = new Map<string, IncidentRef>();

function notice(
  exceptionId: string,
  recipients = ['owner-ana'],
  id = `nt-${exceptionId}`,
): CommandOf<'notify'> {
  return {
    kind: 'notify',
    id,
    exceptionId,
    policyVersion: 'p1',
    evidence: [],
    detectedAt: '2026-03-02T06:40:00.000Z',
    recipients,
    emails: [],
    subject: `Approval needed: late scan ${exceptionId}`,
    text: `Approve the risk flag for ${exceptionId}`,
    slackText: `Approval needed for ${exceptionId}`,
    about: 'approval_needed',
  };
}

function deps(): EffectDeps {
  return {
    targets: { mail: mailer },
    directory: { get: () => undefined },
    users: {
      get: (id) => ({
        userId: id,
        name: id,
        email: `${id}@example.com`,
        roles: ['account_owner'],
        regions: [],
      }),
      withRole: () => [],
    },
    drafts: undefined as never,
    incidentFolding: {
      incidents: { incidentOf: async (id) => members.get(id) },
      sent: new JsonKv(kv, incidentNoticeSchema, 'incident notice'),
      publicUrl: 'http://dockside.example',
      now: () => Date.parse('2026-03-02T06:41:00Z'),
    },
  };
}

beforeAll(async () => {
  nc = await connect({ servers: 'nats://127.0.0.1:4222' });
  kv = await new Kvm(nc).create(bucket, { history: 1 });
  smtp = await startSmtp();
  mailer = new Mailer(
    { url: smtp.url, from: 'dockside@ops.example.com' },
    { logger: createLogger({ logLevel: 'silent' }) },
  );
});
afterAll(async () => {
  mailer?.close();
  await smtp?.close();
  await kv?.destroy();
  await nc?.close();
});

describe('notifications per incident, not per member', () => {
  it('sends the first notice of an open incident naming it, and folds the other members’ into it', async () => {
    const ids = Array.from({ length: 10 }, (_, i) => `late_scan:a${i}`);
    for (const id of ids) members.set(id, INCIDENT);
    const before = smtp.received.length;
    const runs = [];
    for (const id of ids) runs.push(await runNotify(notice(id), deps()));
    expect(runs[0]?.kind).toBe('done');
    expect(runs.slice(1).map((r) => r.kind)).toEqual(Array(9).fill('folded'));
    expect(runs[5]).toEqual({ kind: 'folded', incidentId: INCIDENT.id, into: `nt-${ids[0]}` });
    expect(smtp.received.length).toBe(before + 1);
    const mail = smtp.received.at(-1);
    expect(mail?.to).toEqual(['owner-ana@example.com']);
    expect(mail?.body).toContain(`Approve the risk flag for ${ids[0]}`);
    expect(mail?.body).toContain(`Part of incident "${INCIDENT.title}" (12 exceptions, ${INCIDENT.id})`);
    expect(mail?.body).toContain('http://dockside.example/board?group=incidents');
  });

  it('sends again when the first notice is redelivered (at least once), still folding the others', async () => {
    members.set('late_scan:r0', INCIDENT);
    members.set('late_scan:r1', INCIDENT);
    const other = ['owner-bob'];
    const before = smtp.received.length;
    expect((await runNotify(notice('late_scan:r0', other), deps())).kind).toBe('done');
    expect((await runNotify(notice('late_scan:r0', other), deps())).kind).toBe('done');
    expect((await runNotify(notice('late_scan:r1', other), deps())).kind).toBe('folded');
    expect(smtp.received.length).toBe(before + 2);
  });

  it('keeps one notice per set of recipients: another owner of another member gets theirs', async () => {
    members.set('late_scan:c0', INCIDENT);
    members.set('late_scan:c1', INCIDENT);
    const before = smtp.received.length;
    expect((await runNotify(notice('late_scan:c0', ['owner-cy']), deps())).kind).toBe('done');
    expect((await runNotify(notice('late_scan:c1', ['owner-di']), deps())).kind).toBe('done');
    expect(smtp.received.slice(before).map((m) => m.to)).toEqual([
      ['owner-cy@example.com'],
      ['owner-di@example.com'],
    ]);
  });

  it('sends each notice on its own outside an incident, and once the incident is resolved', async () => {
    const resolved = { ...INCIDENT, id: 'inc:resolved0000000000000000', status: 'resolved' as const };
    members.set('late_scan:z1', resolved);
    members.set('late_scan:z2', resolved);
    const before = smtp.received.length;
    for (const id of ['late_scan:lone1', 'late_scan:lone2', 'late_scan:z1', 'late_scan:z2']) {
      expect((await runNotify(notice(id, ['owner-eve']), deps())).kind).toBe('done');
    }
    expect(smtp.received.length).toBe(before + 4);
    expect(smtp.received.at(-1)?.body).not.toContain('Part of incident');
  });

  it('sends exactly one when many members are notified at once (two workers racing)', async () => {
    const ids = Array.from({ length: 12 }, (_, i) => `late_scan:p${i}`);
    const racing = { ...INCIDENT, id: 'inc:racing000000000000000000' };
    for (const id of ids) members.set(id, racing);
    const before = smtp.received.length;
    const runs = await Promise.all(ids.map((id) => runNotify(notice(id, ['owner-fay']), deps())));
    expect(runs.filter((r) => r.kind === 'done')).toHaveLength(1);
    expect(runs.filter((r) => r.kind === 'folded')).toHaveLength(11);
    expect(smtp.received.length).toBe(before + 1);
  });
});
