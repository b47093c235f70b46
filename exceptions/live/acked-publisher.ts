import {
  createInbox,
  type Msg,
  type MsgHdrs,
  type NatsConnection,
  type Subscription,
} from '@nats-io/transport-node';

/** JetStream did not store a publish (an error ack, no stream for the subject, no ack in time). */
export class PublishNotStoredError extends Error {
  override readonly name = 'PublishNotStoredError';
}

interface Waiter {
  readonly resolve: (duplicate: boolean) => void;
  readonly reject: (err: Error) => void;
  readonly atMs: number;
  readonly subject: string;
}

/**
 * JetStream publishes with acks, as `js.publish` does (a core publish with a reply subject; the stream
 * answers with `{stream, seq, duplicate}` or an error), through one wildcard reply subscription per worker.
 * `js.publish` goes through the request mux, which costs a timer and an Error (a stack capture) per
 * message even when it succeeds; at tens of thousands of exception states per second that was a tenth of
 * the detector's CPU. Same wire messages (headers, Nats-Msg-Id), same ack semantics: a publish resolves
 * only once JetStream stored it (or dropped it as a duplicate), and anything else rejects.
 */
export class AckedPublisher {
  private readonly prefix = createInbox();
  private readonly sub: Subscription;
  /** In publish order, so the oldest waiters are first (the timeout sweep stops at the first young one). */
  private readonly waiting = new Map<number, Waiter>();
  private next = 0;
  private readonly sweep: NodeJS.Timeout;

  constructor(
    private readonly nc: NatsConnection,
    private readonly timeoutMs = 5_000,
  ) {
    this.sub = nc.subscribe(`${this.prefix}.*`, { callback: (err, msg) => this.onReply(err, msg) });
    this.sweep = setInterval(() => this.expire(Date.now()), Math.min(1_000, timeoutMs));
    this.sweep.unref();
  }

  /** Resolves with `duplicate` once JetStream stored the message (or already had its Nats-Msg-Id). */
  publish(subject: string, data: string, headers: MsgHdrs): Promise<boolean> {
    const token = ++this.next;
    return new Promise<boolean>((resolve, reject) => {
      this.waiting.set(token, { resolve, reject, atMs: Date.now(), subject });
      try {
        this.nc.publish(subject, data, { reply: `${this.prefix}.${token}`, headers });
      } catch (err) {
        this.waiting.delete(token);
        reject(err instanceof Error ? err : new PublishNotStoredError(String(err)));
      }
    });
  }

  close(): void {
    clearInterval(this.sweep);
    this.sub.unsubscribe();
    this.failAll(new PublishNotStoredError('publisher closed before the ack'));
  }

  private onReply(err: Error | null, msg: Msg): void {
    if (err) {
      this.failAll(err);
      return;
    }
    const token = Number(msg.subject.slice(this.prefix.length + 1));
    const w = this.waiting.get(token);
    if (!w) return;
    this.waiting.delete(token);
    if (msg.data.length === 0 || msg.headers?.code === 503) {
      w.reject(new PublishNotStoredError(`no JetStream stream answered for ${w.subject}`));
      return;
    }
    let ack: { stream?: unknown; duplicate?: unknown; error?: { code?: number; description?: string } };
    try {
      ack = JSON.parse(msg.string()) as typeof ack;
    } catch (cause) {
      w.reject(new PublishNotStoredError(`unreadable ack for ${w.subject}`, { cause }));
      return;
    }
    if (ack.error) {
      w.reject(
        new PublishNotStoredError(
          `JetStream refused ${w.subject}: ${ack.error.description ?? ''} (${ack.error.code ?? '?'})`,
        ),
      );
    } else if (typeof ack.stream !== 'string' || ack.stream === '') {
      w.reject(new PublishNotStoredError(`invalid ack for ${w.subject}`));
    } else w.resolve(ack.duplicate === true);
  }

  private expire(nowMs: number): void {
    for (const [token, w] of this.waiting) {
      if (nowMs - w.atMs < this.timeoutMs) break;
      this.waiting.delete(token);
      w.reject(new PublishNotStoredError(`no ack for ${w.subject} within ${this.timeoutMs} ms`));
    }
  }

  private failAll(err: Error): void {
    const all = [...this.waiting.values()];
    this.waiting.clear();
    for (const w of all) w.reject(err);
  }
}
