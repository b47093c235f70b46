import net from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../core/mod.ts';
import { TargetRejectedError, TargetUnavailableError } from '../../writeback/errors.ts';
import { approvalNeeded } from '../../writeback/notify/messages.ts';
import { retryAfterMs, SlackNotifier } from '../../writeback/notify/slack.ts';
import { type SlackContractServer, startSlackServer } from '../contract/slack.ts';

const approval = {
  id: 'ap-0123abcd-1',
  exceptionId: 'late_scan:0123abcd',
  exceptionType: 'late_scan',
  shipmentId: 'SHP-9',
  customerId: 'CUST-001',
  current: 0,
  steps: [
    { role: 'revops_manager', timeoutMinutes: 30, deadline: '2026-12-03T14:30:00.000Z' },
    { role: 'account_owner', timeoutMinutes: 60 },
  ],
  fields: [
    { name: 'ops_risk_level', value: 'high' },
    { name: 'ops_risk_reason', value: 'late_scan' },
  ],
};

function captureLogs() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString('utf8'));
      cb();
    },
  });
  return { logger: createLogger({ logLevel: 'debug' }, stream), text: () => lines.join('') };
}

const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

describe('SlackNotifier against the incoming-webhook contract server', () => {
  let slack: SlackContractServer;
  const logs = captureLogs();
  let notifier: SlackNotifier;

  beforeAll(async () => {
    slack = await startSlackServer();
    notifier = new SlackNotifier(slack.url, { logger: logs.logger });
  });
  afterAll(() => slack.close());

  it('posts text and Block Kit blocks (mrkdwn sections, a link button); Slack answers ok', async () => {
    const notice = approvalNeeded(approval, {
      publicUrl: 'https://dockside.example.com',
      mentions: ['U0REVOPS'],
    });
    await notifier.post(notice.slack);
    expect(slack.posts).toHaveLength(1);
    const post = slack.posts[0];
    expect(post?.text).toContain('Approval needed');
    expect(post?.text).toContain('<https://dockside.example.com/approvals/ap-0123abcd-1|');
    const types = post?.blocks.map((b) => b.type);
    expect(types).toContain('section');
    const actions = post?.blocks.find((b) => b.type === 'actions');
    expect(actions && actions.type === 'actions' ? actions.elements[0]?.url : undefined).toBe(
      'https://dockside.example.com/approvals/ap-0123abcd-1',
    );
    const sections = post?.blocks.flatMap((b) => (b.type === 'section' && b.text ? [b.text] : [])) ?? [];
    expect(sections.every((t) => t.type === 'mrkdwn')).toBe(true);
    expect(sections.map((t) => t.text).join('\n')).toContain('<@U0REVOPS>');
  });

  it('invalid_payload (400) is permanent: TargetRejectedError with Slack’s code', async () => {
    slack.failFor(400, 1);
    const err = await failure(notifier.post({ text: 'hello' }));
    expect(err).toBeInstanceOf(TargetRejectedError);
    expect(err).toMatchObject({
      target: 'slack',
      code: 'invalid_payload',
      status: 400,
      action: 'dead-letter',
    });
  });

  it('channel_is_archived (410) and a wrong token (403 invalid_token) are permanent too', async () => {
    slack.failFor(410, 1);
    expect(await failure(notifier.post({ text: 'hello' }))).toMatchObject({
      code: 'channel_is_archived',
      status: 410,
    });
    const wrong = new SlackNotifier(slack.wrongTokenUrl);
    const err = await failure(wrong.post({ text: 'hello' }));
    expect(err).toBeInstanceOf(TargetRejectedError);
    expect(err).toMatchObject({ code: 'invalid_token', status: 403 });
  });

  it('429 with Retry-After: TargetUnavailableError carrying retryAfterMs; the next post goes through', async () => {
    const before = slack.posts.length;
    slack.failFor(429, 1, 7);
    const err = await failure(notifier.post({ text: 'rate me' }));
    expect(err).toBeInstanceOf(TargetUnavailableError);
    expect(err).toMatchObject({ target: 'slack', status: 429, retryAfterMs: 7000, action: 'retry' });
    await notifier.post({ text: 'rate me' });
    expect(slack.posts.length).toBe(before + 1);
  });

  it('5xx is worth a retry', async () => {
    slack.failFor(500, 1);
    const err = await failure(notifier.post({ text: 'boom' }));
    expect(err).toBeInstanceOf(TargetUnavailableError);
    expect(err).toMatchObject({ status: 500 });
  });

  it('a message breaking Block Kit limits is refused before any request', async () => {
    const requests = slack.requests();
    const err = await failure(
      notifier.post({
        text: 'x',
        blocks: [{ type: 'header', text: { type: 'plain_text', text: 'h'.repeat(151) } }],
      }),
    );
    expect(err).toBeInstanceOf(TargetRejectedError);
    expect((err as Error).message).toContain('blocks.0.text.text');
    expect(slack.requests()).toBe(requests);
  });

  it('the contract server itself refuses what Slack would (not JSON, no text, bad blocks)', async () => {
    const notJson = await fetch(slack.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{',
    });
    expect([notJson.status, await notJson.text()]).toEqual([400, 'invalid_payload']);
    const empty = await fetch(slack.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect([empty.status, await empty.text()]).toEqual([400, 'no_text']);
    const badBlock = await fetch(slack.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'x', blocks: [{ type: 'section' }] }),
    });
    expect([badBlock.status, await badBlock.text()]).toEqual([400, 'invalid_blocks']);
  });

  it('logs show the webhook host, never its secret path', () => {
    const secret = new URL(slack.url).pathname.split('/').at(-1) ?? '';
    expect(secret.length).toBeGreaterThan(8);
    expect(logs.text()).toContain(new URL(slack.url).host);
    expect(logs.text()).not.toContain(secret);
  });
});

describe('SlackNotifier without a server', () => {
  it('an unreachable webhook is TargetUnavailableError', async () => {
    const srv = net.createServer();
    await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
    const addr = srv.address();
    if (addr === null || typeof addr === 'string') throw new Error('no port');
    await new Promise<void>((resolve) => srv.close(() => resolve()));
    const err = await failure(
      new SlackNotifier(`http://127.0.0.1:${addr.port}/services/T/B/x`).post({ text: 'x' }),
    );
    expect(err).toBeInstanceOf(TargetUnavailableError);
    expect((err as Error).message).not.toContain('/services/');
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    expect(retryAfterMs('30')).toBe(30_000);
    expect(retryAfterMs('Wed, 21 Oct 2026 07:28:10 GMT', Date.parse('2026-10-21T07:28:00Z'))).toBe(10_000);
    expect(retryAfterMs('soon')).toBeUndefined();
    expect(retryAfterMs(null)).toBeUndefined();
  });
});
