import {
  createInbox,
  headers,
  type Msg,
  type MsgHdrs,
  type NatsConnection,
  type Subscription,
} from '@nats-io/transport-node';
import { RejectError, RetryableError } from './errors.ts';

/** What JetStream answers for a stored publish (as `js.publish` resolves). */
export interface PubAck {
  readonly stream: string;
  readonly seq: number;
  /** JetStream already had this Nats-Msg-Id inside its duplicate window and dropped this copy. */
  readonly duplicate: boolean;
}

export interface PublishOptions {
  /** The Nats-Msg-Id header JetStream deduplicates on. */
  readonly msgID?: string;
  readonly headers?: MsgHdrs;
  /** Optimistic-concurrency expectations; a failed one rejects with code `PUBLISH_EXPECTATION_FAILED`. */
  readonly expect?: {
    readonly stream?: string;
    readonly lastSequence?: number;
    readonly lastSubjectSequence?: number;
    readonly lastMsgID?: string;
  };
  /** No ack within this many ms rejects with `PUBLISH_TIMEOUT` (default: the publisher's). */
  readonly timeoutMs?: number;
}

/** JetStream API error codes (err_code) the publisher maps to a class of its own. */
const JS_WRONG_EXPECTATION = new Set([10060, 10070, 10071]);
const JS_MESSAGE_TOO_LARGE = 10054;

interface Waiter {
  readonly resolve: (ack: PubAck) => void;
  readonly reject: (err: Error) => void;
  readonly deadlineMs: number;
  readonly subject: string;
}

/**
 * The one way Dockside publishes to JetStream: a core publish with a reply subject, answered by the stream
 * with `{stream, seq, duplicate}` or an error, through one wildcard reply subscription per connection.
 * `js.publish` goes through the request mux, which costs a timer and an Error (a stack capture) per
 * message even when it succeeds; at tens of thousands of messages per second that was a tenth of the
 * detector's CPU. Same wire messages and ack semantics: a publish resolves only once JetStream stored it
 * (or dropped it as a duplicate); everything else rejects with a Dockside error class:
 * RetryableError for no ack in time, no stream answering (503), a closed connection or a refusing stream;
 * RejectError (413) for a message over the server's or the stream's size limit.
 */
export class JetStreamPublisher {
  private readonly prefix = createInbox();
  /** In publish order, so a sweep visits the oldest first. */
  private readonly waiting = new Map<number, Waiter>();
  private readonly sub: Subscription;
  private next = 0;
  private readonly sweep: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly nc: NatsConnection,
    private readonly timeoutMs = 5_000,
  ) {
    this.sub = nc.subscribe(`${this.prefix}.*`, { callback: (err, msg) => this.onReply(err, msg) });
    this.sweep = setInterval(() => this.expire(Date.now()), Math.min(1_000, timeoutMs));
    this.sweep.unref();
    // A closed connection ends the subscription: fail what waits instead of waiting for the timeout.
    void this.sub.closed.then(() => this.close());
  }

  publish(subject: string, data: string | Uint8Array, opts: PublishOptions = {}): Promise<PubAck> {
    if (this.closed)
      return Promise.reject(notStored('PUBLISH_FAILED', `publisher closed; ${subject} not sent`));
    const token = ++this.next;
    return new Promise<PubAck>((resolve, reject) => {
      const deadlineMs = Date.now() + (opts.timeoutMs ?? this.timeoutMs);
      this.waiting.set(token, { resolve, reject, deadlineMs, subject });
      try {
        this.nc.publish(subject, data, { reply: `${this.prefix}.${token}`, headers: headersOf(opts) });
      } catch (cause) {
        this.waiting.delete(token);
        reject(this.sendFailed(subject, data, cause));
      }
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.sweep);
    if (!this.sub.isClosed()) this.sub.unsubscribe();
    this.failAll(notStored('PUBLISH_FAILED', 'publisher closed before the ack'));
  }

  private sendFailed(subject: string, data: string | Uint8Array, cause: unknown): Error {
    const max = this.nc.info?.max_payload;
    const size = typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
    if (max !== undefined && size > max)
      return tooLarge(subject, `${size} bytes`, `at most ${max} bytes (NATS max_payload)`, cause);
    return notStored('PUBLISH_FAILED', `publishing to ${subject} failed: ${messageOf(cause)}`, cause);
  }

  private onReply(err: Error | null, msg: Msg): void {
    if (err) {
      this.failAll(notStored('PUBLISH_FAILED', `ack subscription failed: ${err.message}`, err));
      return;
    }
    const token = Number(msg.subject.slice(this.prefix.length + 1));
    const w = this.waiting.get(token);
    if (!w) return;
    this.waiting.delete(token);
    const settled = ackOf(w.subject, msg);
    if (settled instanceof Error) w.reject(settled);
    else w.resolve(settled);
  }

  private expire(nowMs: number): void {
    for (const [token, w] of this.waiting) {
      if (nowMs < w.deadlineMs) continue;
      this.waiting.delete(token);
      w.reject(notStored('PUBLISH_TIMEOUT', `no JetStream ack for ${w.subject} in time`));
    }
  }

  private failAll(err: Error): void {
    const all = [...this.waiting.values()];
    this.waiting.clear();
    for (const w of all) w.reject(err);
  }
}

const shared = new WeakMap<NatsConnection, JetStreamPublisher>();

/** The connection's publisher: one reply subscription per connection, however many modules publish. */
export function publisherFor(nc: NatsConnection): JetStreamPublisher {
  let p = shared.get(nc);
  if (!p) {
    p = new JetStreamPublisher(nc);
    shared.set(nc, p);
  }
  return p;
}

function headersOf(opts: PublishOptions): MsgHdrs | undefined {
  const { msgID, expect } = opts;
  if (!msgID && !expect) return opts.headers;
  const h = opts.headers ?? headers();
  if (msgID) h.set('Nats-Msg-Id', msgID);
  if (expect?.stream) h.set('Nats-Expected-Stream', expect.stream);
  if (expect?.lastSequence !== undefined) h.set('Nats-Expected-Last-Sequence', String(expect.lastSequence));
  if (expect?.lastSubjectSequence !== undefined)
    h.set('Nats-Expected-Last-Subject-Sequence', String(expect.lastSubjectSequence));
  if (expect?.lastMsgID) h.set('Nats-Expected-Last-Msg-Id', expect.lastMsgID);
  return h;
}

/** Reads a JetStream publish reply: the ack, or the error it stands for. */
function ackOf(subject: string, msg: Msg): PubAck | Error {
  if (msg.data.length === 0 || msg.headers?.code === 503)
    return notStored('NO_RESPONDERS', `no JetStream stream answered for ${subject} (503 no responders)`);
  let ack: {
    stream?: unknown;
    seq?: unknown;
    duplicate?: unknown;
    error?: { code?: number; err_code?: number; description?: string };
  };
  try {
    ack = JSON.parse(msg.string()) as typeof ack;
  } catch (cause) {
    return notStored('PUBLISH_FAILED', `unreadable JetStream ack for ${subject}`, cause);
  }
  if (ack.error) {
    const what = `JetStream refused ${subject}: ${ack.error.description ?? 'no description'} (${ack.error.err_code ?? ack.error.code ?? '?'})`;
    if (ack.error.err_code === JS_MESSAGE_TOO_LARGE)
      return tooLarge(subject, 'over the limit', "at most the stream's max_msg_size", ack.error);
    if (ack.error.err_code !== undefined && JS_WRONG_EXPECTATION.has(ack.error.err_code))
      return notStored('PUBLISH_EXPECTATION_FAILED', what);
    return notStored('PUBLISH_REFUSED', what);
  }
  if (typeof ack.stream !== 'string' || ack.stream === '' || typeof ack.seq !== 'number')
    return notStored('PUBLISH_FAILED', `invalid JetStream ack for ${subject}`);
  return { stream: ack.stream, seq: ack.seq, duplicate: ack.duplicate === true };
}

function notStored(code: string, message: string, cause?: unknown): RetryableError {
  return new RetryableError(code, message, cause === undefined ? undefined : { cause });
}

function tooLarge(subject: string, size: string, expected: string, cause: unknown): RejectError {
  return new RejectError(
    'PAYLOAD_TOO_LARGE',
    `message for ${subject} is too large (${size}): expected ${expected}`,
    [{ field: '', value: size, expected }],
    { cause, httpStatus: 413 },
  );
}

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));
