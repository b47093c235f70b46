import nodemailer from 'nodemailer';
import { z } from 'zod';
import type { Logger } from '../../core/mod.ts';
import { TargetRejectedError, TargetUnavailableError } from '../errors.ts';
import { maskAddress, redactPii } from './redact.ts';

/**
 * E-mail over SMTP (nodemailer, pooled connections). Errors, by what the caller must do:
 *  - TargetUnavailableError (retry): no connection, timeouts, TLS/DNS trouble, or a temporary SMTP reply (4xx);
 *  - TargetRejectedError (dead-letter): a permanent SMTP reply (5xx) such as `550` on RCPT, naming the
 *    recipient by domain only, or a message that cannot be sent as given.
 * Addresses never reach logs or error messages whole: only `***@domain`.
 */
export const MAIL_TARGET = 'mail';

export interface MailConfig {
  /** smtp:// or smtps://, credentials in the URL when the server wants them. */
  readonly url: string;
  /** Default From, e.g. `Dockside <dockside@example.com>`. */
  readonly from: string;
}

export interface MailerOptions {
  readonly logger?: Logger;
  readonly maxConnections?: number;
  /** Connect and greeting timeout; a server that does not answer in time is unavailable. */
  readonly connectTimeoutMs?: number;
  /** Inactivity on an open connection. */
  readonly socketTimeoutMs?: number;
}

const mailSchema = z.object({
  to: z.array(z.email()).min(1).max(100),
  subject: z
    .string()
    .min(1)
    .max(250)
    .regex(/^[^\r\n]*$/, 'one line'),
  text: z.string().max(1_000_000),
  html: z.string().max(2_000_000).optional(),
});
export type MailInput = z.input<typeof mailSchema>;

export interface MailResult {
  readonly messageId: string;
  readonly accepted: string[];
  readonly rejected: string[];
}

const domains = (addresses: readonly string[]) => [...new Set(addresses.map(maskAddress))];

/** Errors that mean "the server could not be reached or talked to", whatever it would say about the mail. */
const CONNECTION_CODES = new Set([
  'ECONNECTION',
  'ETIMEDOUT',
  'ESOCKET',
  'EDNS',
  'ETLS',
  'EPROXY',
  'EPROTOCOL',
]);

/** The fields nodemailer sets on its errors (see its NodemailerError), read without trusting their types. */
const smtpErrorSchema = z.looseObject({
  code: z.string().optional().catch(undefined),
  responseCode: z.number().optional().catch(undefined),
  response: z.string().optional().catch(undefined),
  rejected: z.array(z.string()).optional().catch(undefined),
});

function smtpShape(err: unknown): z.output<typeof smtpErrorSchema> {
  const r = smtpErrorSchema.safeParse(err);
  return r.success ? r.data : {};
}

/** The server's reply without addresses in it (servers often echo the recipient). */
const safeReply = (s: string | undefined) => (s ? redactPii(s).text.slice(0, 200) : '');

/**
 * nodemailer's own error names the addresses (its message quotes the server's reply, `rejected` lists them);
 * a logged cause chain would carry them into the logs, so the cause kept is a copy without them.
 */
function sanitizedCause(err: unknown, e: z.output<typeof smtpErrorSchema>): Error {
  const message = err instanceof Error ? redactPii(err.message).text : 'SMTP error';
  return Object.assign(new Error(message), {
    ...(e.code !== undefined ? { code: e.code } : {}),
    ...(e.responseCode !== undefined ? { responseCode: e.responseCode } : {}),
  });
}

/** Maps a nodemailer failure to retry or dead-letter (exported for tests of replies a test server cannot produce). */
export function classifyMailError(
  err: unknown,
  to: readonly string[],
): TargetUnavailableError | TargetRejectedError {
  const e = smtpShape(err);
  const cause = sanitizedCause(err, e);
  const reply = safeReply(e.response);
  if (e.responseCode !== undefined) {
    const who = e.rejected?.length ? ` for ${domains(e.rejected).join(', ')}` : '';
    // 4xx and 503 (bad sequence: our side or a confused connection) are worth another attempt.
    const temporary = e.responseCode < 500 || e.responseCode === 503;
    if (temporary) {
      return new TargetUnavailableError(MAIL_TARGET, `SMTP ${e.responseCode}${who}: ${reply}`, {
        cause,
        status: e.responseCode,
      });
    }
    const code =
      e.code === 'EAUTH' ? 'SMTP_AUTH' : e.rejected?.length ? 'RECIPIENT_REJECTED' : `SMTP_${e.responseCode}`;
    return new TargetRejectedError(MAIL_TARGET, code, `SMTP ${e.responseCode}${who}: ${reply}`, {
      cause,
      status: e.responseCode,
    });
  }
  if (e.code === undefined || CONNECTION_CODES.has(e.code)) {
    return new TargetUnavailableError(MAIL_TARGET, `SMTP server unreachable (${e.code ?? 'no code'})`, {
      cause,
    });
  }
  // Refused before anything was sent (bad envelope, configuration, missing credentials): the same mail fails again.
  return new TargetRejectedError(
    MAIL_TARGET,
    e.code,
    `mail to ${domains(to).join(', ')} not sent (${e.code})`,
    {
      cause,
    },
  );
}

export class Mailer {
  readonly target = MAIL_TARGET;
  readonly #transport: ReturnType<typeof nodemailer.createTransport>;
  readonly #from: string;
  readonly #logger: Logger | undefined;

  constructor(config: MailConfig, opts: MailerOptions = {}) {
    const connect = opts.connectTimeoutMs ?? 10_000;
    this.#transport = nodemailer.createTransport({
      pool: true,
      url: config.url,
      maxConnections: opts.maxConnections ?? 3,
      connectionTimeout: connect,
      greetingTimeout: connect,
      socketTimeout: opts.socketTimeoutMs ?? 60_000,
      // A failing connection fails the message (the outbox retries it) instead of requeueing it in the pool.
      maxRequeues: 0,
    });
    this.#from = config.from;
    this.#logger = opts.logger;
  }

  async send(mail: MailInput): Promise<MailResult> {
    const parsed = mailSchema.safeParse(mail);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue?.path.join('.') || '(mail)';
      const value =
        issue?.path[0] === 'to' && typeof issue.input === 'string' ? maskAddress(issue.input) : '';
      throw new TargetRejectedError(
        MAIL_TARGET,
        'MAIL_INVALID',
        `mail not sent: ${field}${value ? ` ${value}` : ''}: expected ${issue?.message ?? 'a valid mail'}`,
      );
    }
    const m = parsed.data;
    let info: { messageId: string; accepted: string[]; rejected: string[] };
    try {
      info = await this.#transport.sendMail({
        from: this.#from,
        to: m.to,
        subject: m.subject,
        text: m.text,
        ...(m.html !== undefined ? { html: m.html } : {}),
      });
    } catch (err) {
      const mapped = classifyMailError(err, m.to);
      this.#logger?.warn(
        {
          target: MAIL_TARGET,
          to: domains(m.to),
          code: mapped.code,
          status: mapped.status,
          retry: mapped.action === 'retry',
        },
        'mail not sent',
      );
      throw mapped;
    }
    const result = { messageId: info.messageId, accepted: [...info.accepted], rejected: [...info.rejected] };
    this.#logger?.info(
      {
        target: MAIL_TARGET,
        messageId: result.messageId,
        accepted: result.accepted.length,
        rejected: domains(result.rejected),
      },
      'mail sent',
    );
    return result;
  }

  /** Closes pooled connections; a later send opens new ones. */
  close(): void {
    this.#transport.close();
  }
}
