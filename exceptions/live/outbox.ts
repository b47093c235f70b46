import type { MsgHdrs } from '@nats-io/transport-node';
import { type JetStreamPublisher, RetryableError } from '../../core/mod.ts';

/**
 * Publishes a task's outputs to JetStream without waiting for each ack (publishes from one connection are
 * stored in order), and tracks what is still in flight. A snapshot is only taken once the outbox is empty,
 * so a snapshot never claims something was published that JetStream did not store. The first failure
 * fails the task (it restarts from its last snapshot; deterministic ids make the retry exactly-once).
 */
export class Outbox {
  private readonly pending = new Set<Promise<unknown>>();
  /** Publishes held until `flush`: issued together, they leave in one socket write instead of one each. */
  private queued: Queued[] = [];
  private failure: Error | undefined;

  constructor(private readonly acked: JetStreamPublisher) {}

  get size(): number {
    return this.pending.size + this.queued.length;
  }

  get failed(): Error | undefined {
    return this.failure;
  }

  /** Queues a publish; it is issued at the next `flush` (the runner flushes after a few messages, when idle, on ticks). */
  publish(
    subject: string,
    data: string,
    opts: { msgID: string; headers?: MsgHdrs },
    onAck?: (duplicate: boolean) => void,
  ): void {
    this.queued.push({ subject, data, opts, onAck });
  }

  /** Issues every queued publish, in order. */
  flush(): void {
    if (this.queued.length === 0) return;
    const queued = this.queued;
    this.queued = [];
    for (const q of queued) this.send(q);
  }

  private send({ subject, data, opts, onAck }: Queued): void {
    this.follow(
      this.acked.publish(subject, data, opts).then((ack) => onAck?.(ack.duplicate)),
      () => `publishing ${opts.msgID} to ${subject} failed`,
    );
  }

  /** Tracks another effect (a dead letter) the same way. */
  track(effect: Promise<unknown>): void {
    this.follow(effect, () => 'publishing a side effect failed');
  }

  /** Counts an effect as in flight until it settles; its failure (the first one) fails the outbox. */
  private follow(effect: Promise<unknown>, failure: () => string): void {
    const p: Promise<unknown> = effect
      .catch((cause: unknown) => {
        this.failure ??= new RetryableError('PUBLISH_FAILED', failure(), { cause });
      })
      .finally(() => this.pending.delete(p));
    this.pending.add(p);
  }

  /** Waits until at most `max` publishes are in flight (back-pressure from JetStream). */
  async throttle(max: number): Promise<void> {
    this.flush();
    while (this.pending.size > max) await Promise.race(this.pending);
    if (this.failure) throw this.failure;
  }

  /** Settles once what is in flight now is stored (later publishes are not waited for); rejects on a failure. */
  async settled(): Promise<void> {
    this.flush();
    await Promise.allSettled([...this.pending]);
    if (this.failure) throw this.failure;
  }

  /** Waits for everything in flight; throws the first failure. */
  async drain(): Promise<void> {
    this.flush();
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
    if (this.failure) throw this.failure;
  }
}

interface Queued {
  readonly subject: string;
  readonly data: string;
  readonly opts: { msgID: string; headers?: MsgHdrs };
  readonly onAck: ((duplicate: boolean) => void) | undefined;
}
