import type { ConsumerMessages, JetStreamClient, JsMsg } from '@nats-io/jetstream';
import type { DocksideError } from './errors.ts';
import type { Logger } from './logger.ts';

/** The outcome of one message, decided in one place: ack, nak with a delay (retry), or term (dead-lettered). */
export type Outcome = { kind: 'ack' } | { kind: 'nak'; delayMs: number } | { kind: 'term'; reason: string };

export const ack: Outcome = { kind: 'ack' };

/** Maps an error to the outcome its class asks for: retryable errors nak, everything else terms. */
export function outcomeOf(err: unknown): Outcome {
  const action = (err as Partial<DocksideError> | undefined)?.action;
  if (action === 'retry') return { kind: 'nak', delayMs: 1_000 };
  return { kind: 'term', reason: err instanceof Error ? err.message : String(err) };
}

function settle(msg: JsMsg, outcome: Outcome): void {
  if (outcome.kind === 'ack') msg.ack();
  else if (outcome.kind === 'nak') msg.nak(outcome.delayMs);
  else msg.term(outcome.reason);
}

export interface Running {
  stop(): Promise<void>;
  /** Resolves when the loop has ended (stopped, or failed). */
  readonly done: Promise<void>;
}

/**
 * Consumes a durable pull consumer. Handlers run concurrently (bounded by the consumer's
 * max_ack_pending), so a batching handler can await its flush before the ack without stalling the loop.
 * Never acks on failure: a handler that throws gets the outcome its error class asks for.
 */
export async function consumeDurable(
  js: JetStreamClient,
  stream: string,
  durable: string,
  handle: (msg: JsMsg) => Promise<Outcome>,
  logger: Logger,
  opts: { unknownErrors?: 'term' | 'retry' } = {},
): Promise<Running> {
  const consumer = await js.consumers.get(stream, durable);
  const messages: ConsumerMessages = await consumer.consume({ max_messages: 2_000 });
  const inflight = new Set<Promise<void>>();
  const done = (async () => {
    for await (const msg of messages) {
      const p = handle(msg)
        .catch((err: unknown) => {
          logger.error({ err, stream, durable, seq: msg.seq }, 'message handler failed');
          // A consumer whose messages must never be lost (decisions to act on, commands to run) retries an
          // error it does not know (a bug, an outage it cannot classify) instead of terminating the message.
          const known = (err as Partial<DocksideError> | undefined)?.action !== undefined;
          return !known && opts.unknownErrors === 'retry'
            ? { kind: 'nak' as const, delayMs: 5_000 }
            : outcomeOf(err);
        })
        .then((outcome) => settle(msg, outcome))
        .finally(() => inflight.delete(p));
      inflight.add(p);
    }
    await Promise.allSettled(inflight);
  })();
  return {
    done,
    async stop() {
      await messages.close();
      await done;
    },
  };
}
