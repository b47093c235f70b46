import type { JetStreamClient } from '@nats-io/jetstream';
import { headers } from '@nats-io/transport-node';
import {
  type CanonicalEvent,
  type Config,
  type DeadLetter,
  type FieldIssue,
  parseEvent,
  partitionKey,
  publishDeadLetter,
  RejectError,
  RetryableError,
  type StreamNames,
} from '../core/mod.ts';
import { partitionOf } from './partition.ts';

export type SubmitResult =
  | { readonly status: 'accepted' | 'duplicate'; readonly id: string; readonly seq: number }
  | {
      readonly status: 'rejected';
      readonly id?: string;
      readonly code: string;
      readonly reason: string;
      readonly issues: readonly FieldIssue[];
    };

export const RECEIVED_AT_HEADER = 'Dockside-Received-At';

/**
 * The one core pipeline every adapter maps onto: validate → normalise → publish to the events stream
 * with Nats-Msg-Id = event id (JetStream drops a repeat inside the duplicate window).
 */
export class EventPublisher {
  constructor(
    private readonly js: JetStreamClient,
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

  async publish(event: CanonicalEvent, receivedAtMs = Date.now()): Promise<SubmitResult> {
    const partition = partitionOf(partitionKey(event), this.config.partitions);
    const h = headers();
    h.set(RECEIVED_AT_HEADER, String(receivedAtMs));
    try {
      const ack = await this.js.publish(
        this.names.eventSubject(partition, event.type),
        JSON.stringify(event),
        {
          msgID: event.id,
          headers: h,
        },
      );
      return { status: ack.duplicate ? 'duplicate' : 'accepted', id: event.id, seq: ack.seq };
    } catch (cause) {
      throw new RetryableError('PUBLISH_FAILED', `publishing event ${event.id} to JetStream failed`, {
        cause,
      });
    }
  }

  /** Parks an input that could not be taken, with its reason. */
  deadLetter(entry: Omit<DeadLetter, 'id' | 'receivedAt'>): Promise<DeadLetter> {
    return publishDeadLetter(this.js, this.names, entry);
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
