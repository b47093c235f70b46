import net from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../core/mod.ts';
import { TargetRejectedError, TargetUnavailableError } from '../../writeback/errors.ts';
import { classifyMailError, Mailer } from '../../writeback/notify/mailer.ts';
import { startSmtp } from '../helpers/smtp.ts';

/** A port nothing listens on: bind one, then release it. */
async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const addr = srv.address();
  if (addr === null || typeof addr === 'string') throw new Error('no port');
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return addr.port;
}

/** Log lines the mailer writes, to check no address reaches them whole. */
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

describe('Mailer over a real SMTP server (smtp-server in-process)', () => {
  let smtp: Awaited<ReturnType<typeof startSmtp>>;
  const logs = captureLogs();
  let mailer: Mailer;

  beforeAll(async () => {
    smtp = await startSmtp();
    mailer = new Mailer(
      { url: smtp.url, from: 'Dockside <dockside@ops.example.com>' },
      { logger: logs.logger },
    );
  });
  afterAll(async () => {
    mailer.close();
    await smtp.close();
  });

  it('delivers one message to every recipient with the subject and body given', async () => {
    const before = smtp.received.length;
    const res = await mailer.send({
      to: ['ana.owner@example.com', 'rev.ops@example.org'],
      subject: 'Approval needed: late scan SHP-9 for CUST-001',
      text: 'Step 1 of 2: revops_manager.\nops_risk_level: (empty) -> high\nReview: http://127.0.0.1:8080/approvals/ap-1-1',
    });
    expect(res.accepted.sort()).toEqual(['ana.owner@example.com', 'rev.ops@example.org']);
    expect(res.rejected).toEqual([]);
    expect(smtp.received.length).toBe(before + 1);
    const got = smtp.received.at(-1);
    expect(got?.to.sort()).toEqual(['ana.owner@example.com', 'rev.ops@example.org']);
    expect(got?.from).toBe('dockside@ops.example.com');
    expect(got?.headers.get('subject')).toBe('Approval needed: late scan SHP-9 for CUST-001');
    expect(got?.headers.get('message-id')).toBe(res.messageId);
    expect(got?.body).toContain('ops_risk_level: (empty) -> high');
    expect(got?.body).toContain('http://127.0.0.1:8080/approvals/ap-1-1');
  });

  it('reports a recipient refused with 550 while the others get the mail', async () => {
    const res = await mailer.send({
      to: ['ana.owner@example.com', 'nobody@example.net'],
      subject: 'Held: CUST-001',
      text: 'held',
    });
    expect(res.accepted).toEqual(['ana.owner@example.com']);
    expect(res.rejected).toEqual(['nobody@example.net']);
    expect(smtp.received.at(-1)?.to).toEqual(['ana.owner@example.com']);
  });

  it('550 for every recipient: TargetRejectedError naming the recipient by domain only', async () => {
    const err = await mailer
      .send({ to: ['nobody@example.net'], subject: 'Expired: CUST-001', text: 'x' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TargetRejectedError);
    const rejected = err as TargetRejectedError;
    expect(rejected).toMatchObject({
      target: 'mail',
      code: 'RECIPIENT_REJECTED',
      status: 550,
      action: 'dead-letter',
    });
    expect(rejected.message).toContain('***@example.net');
    expect(rejected.message).not.toContain('nobody@');
    // The cause is kept (for its code and reply) without the address nodemailer's own error quotes.
    expect(rejected.cause).toMatchObject({ code: 'EENVELOPE', responseCode: 550 });
    expect(String((rejected.cause as Error).message)).not.toContain('nobody@');
  });

  it('450 (temporary) for every recipient: TargetUnavailableError, to retry', async () => {
    const err = await mailer
      .send({ to: ['busy@example.com'], subject: 'Escalated: CUST-001', text: 'x' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TargetUnavailableError);
    expect(err).toMatchObject({ target: 'mail', status: 450, action: 'retry' });
  });

  it('an input that is not a mail is refused before connecting, naming the field', async () => {
    const err = await mailer
      .send({ to: ['not-an-address'], subject: 'x', text: 'x' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TargetRejectedError);
    expect(err).toMatchObject({ code: 'MAIL_INVALID' });
    expect((err as Error).message).toMatch(/to\.0/);
    const noSubject = await mailer
      .send({ to: ['a@example.com'], subject: 'two\nlines', text: 'x' })
      .catch((e: unknown) => e);
    expect((noSubject as Error).message).toMatch(/subject: expected one line/);
  });

  it('logs name recipients by domain only', () => {
    const text = logs.text();
    expect(text).toContain('mail sent');
    expect(text).toContain('***@example.net');
    expect(text).not.toMatch(/ana\.owner@|nobody@|busy@|rev\.ops@/);
  });
});

describe('Mailer without a server', () => {
  it('a closed port is TargetUnavailableError (retry)', async () => {
    const port = await closedPort();
    const mailer = new Mailer(
      { url: `smtp://127.0.0.1:${port}`, from: 'dockside@localhost' },
      { connectTimeoutMs: 2_000 },
    );
    try {
      const err = await mailer
        .send({ to: ['ana@example.com'], subject: 'x', text: 'x' })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TargetUnavailableError);
      expect(err).toMatchObject({ target: 'mail', action: 'retry' });
    } finally {
      mailer.close();
    }
  });

  it('classifies replies a test server cannot easily produce: 535 auth → rejected, 421 → retry, 503 → retry', () => {
    const auth = classifyMailError(
      Object.assign(new Error('Invalid login'), {
        code: 'EAUTH',
        responseCode: 535,
        response: '535 5.7.8 bad',
      }),
      ['a@example.com'],
    );
    expect(auth).toBeInstanceOf(TargetRejectedError);
    expect(auth.code).toBe('SMTP_AUTH');
    const closing = classifyMailError(
      Object.assign(new Error('closing'), {
        code: 'EENVELOPE',
        responseCode: 421,
        response: '421 4.3.2 shutting down',
      }),
      ['a@example.com'],
    );
    expect(closing).toBeInstanceOf(TargetUnavailableError);
    expect(
      classifyMailError(Object.assign(new Error('seq'), { code: 'EPROTOCOL', responseCode: 503 }), []),
    ).toBeInstanceOf(TargetUnavailableError);
    const config = classifyMailError(Object.assign(new Error('bad'), { code: 'ECONFIG' }), ['x@example.com']);
    expect(config).toBeInstanceOf(TargetRejectedError);
    expect(config.message).toContain('***@example.com');
    expect(config.message).not.toContain('x@example.com');
  });
});
