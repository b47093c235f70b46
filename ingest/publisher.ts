import {
  type CanonicalEvent,
  type Config,
  type DeadLetter,
  type DeadLetterInput,
  type FieldIssue,
  type JetStreamPublisher,
  parseEvent,
  partitionKey,
  partitionOf,
  publishDeadLetter,
  RejectError,
  type StreamNames,
} from '../core/mod.ts';

export type SubmitResult =
  | { readonly status: 'accepted' | 'duplicate'; readonly id: string; readonly seq: number }
  | {
      readonly status: 'rejected';
      readonly id?: string;
      readonly code: string;
      readonly reason: string;
      readonly issues: readonly FieldIssue[];
    };

/**
 * The one core pipeline every adapter maps onto: validate → normalise → publish to the events stream
 * with Nats-Msg-Id = event id (JetStream drops a repeat inside the duplicate window).
 */
export class EventPublisher {
  constructor(
    /** The connection's publisher (public: dead letters and benchmarks publish through the same one). */
    readonly publisher: JetStreamPublisher,
    private readonly names: StreamNames,
    private readonly config: Pick<Config, 'partitions'>,
  ) {}

  /** Validates and publishes one raw candidate; a RejectError becomes a `rejected` result, never a throw. */
  async submit(raw: unknown): Promise<SubmitResult> {
    let event: CanonicalEvent;
    try {
      event = parseEvent(raw);
    } catch (err) {
      if (err instanceof RejectError) return rejected(raw, err);
      throw err;
    }
    return this.publish(event);
  }

  /**
   * When an event arrived is the stream's own timestamp on its message (set by the server as it stores
   * it), so nothing but the dedupe id travels in headers.
   */
  publish(event: CanonicalEvent): Promise<SubmitResult> {
    const partition = partitionOf(partitionKey(event), this.config.partitions);
    // A promise chain, not async/await: one promise and one microtask less per event on the import path.
    // Failures carry the publisher's classes: RetryableError (no ack, no stream) or RejectError 413 (too large).
    return this.publisher
      .publish(this.names.eventSubject(partition, event.type), JSON.stringify(event), { msgID: event.id })
      .then(
        (ack): SubmitResult => ({
          status: ack.duplicate ? 'duplicate' : 'accepted',
          id: event.id,
          seq: ack.seq,
        }),
      );
  }

  /** Parks an input that could not be taken, with its reason. */
  deadLetter(entry: DeadLetterInput): Promise<DeadLetter> {
    return publishDeadLetter(this.publisher, this.names, entry);
  }
}

function rejected(raw: unknown, err: RejectError): SubmitResult {
  const id =
    raw && typeof raw === 'object' && typeof (raw as { id?: unknown }).id === 'string'
      ? (raw as { id: string }).id
      : undefined;
  return {
    status: 'rejected',
    ...(id ? { id } : {}),
    code: err.code,
    reason: err.message,
    issues: err.issues,
  };
}
