import type { ConsumerMessages, JetStreamClient, JsMsg } from '@nats-io/jetstream';
import type { Config } from './config.ts';
import type { DeadLetters } from './dead-letter.ts';
import type { DocksideError } from './errors.ts';
import type { Logger } from './logger.ts';

/**
 * The outcome of one message, decided in one place: ack, nak with a delay (retry), or term — which is
 * always preceded by a dead letter carrying the raw message and `reason`, so no message goes silently.
 */
export type Outcome =
  | { kind: 'ack' }
  | { kind: 'nak'; delayMs: number }
  | { kind: 'term'; code: string; reason: string };

export const ack: Outcome = { kind: 'ack' };

const MAX_BACKOFF_MS = 60_000;

/** Retry delay for a message on its n-th delivery: backoff, doubling per delivery, capped at a minute. */
export function backoffMs(deliveryCount: number, baseMs: number): number {
  return Math.min(baseMs * 2 ** Math.min(Math.max(deliveryCount - 1, 0), 30), MAX_BACKOFF_MS);
}

/**
 * Maps a handler's error to an outcome. Retryable errors (an outage) retry with back-off for as long as it
 * lasts; Dockside's "cannot take this input" errors go to the dead letters at once; any other error (a bug,
 * something unclassified) retries with back-off up to `maxDeliveries`, then goes to the dead letters.
 */
export function outcomeOf(err: unknown, deliveryCount: number, delivery: Config['delivery']): Outcome {
  const action = (err as Partial<DocksideError> | undefined)?.action;
  const retry = { kind: 'nak' as const, delayMs: backoffMs(deliveryCount, delivery.backoffMs) };
  const what = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  if (action === 'retry') return retry;
  const code = (err as Partial<DocksideError> | undefined)?.code;
  if (action !== undefined) return { kind: 'term', code: code ?? 'UNPROCESSABLE', reason: what };
  if (deliveryCount < delivery.maxDeliveries) return retry;
  return {
    kind: 'term',
    code: typeof code === 'string' ? code : 'HANDLER_FAILED',
    reason: `${what} (failed on each of ${deliveryCount} deliveries)`,
  };
}

export interface ConsumeDeps {
  readonly js: JetStreamClient;
  readonly deadLetters: DeadLetters;
  readonly config: Pick<Config, 'delivery'>;
  readonly logger: Logger;
}

export interface Running {
  stop(): Promise<void>;
  /** Resolves when the loop has ended (stopped, or failed). */
  readonly done: Promise<void>;
}

/**
 * Consumes a durable pull consumer. Handlers run concurrently (bounded by the consumer's
 * max_ack_pending), so a batching handler can await its flush before the ack without stalling the loop.
 * Never acks on failure, and never terminates a message before its dead letter is stored. The delivery
 * cap lives here, not in the consumer's `max_deliver`: the server would stop redelivering at that cap
 * without telling anyone (a silent drop), and would cap retries of an outage too.
 */
export async function consumeDurable(
  deps: ConsumeDeps,
  stream: string,
  durable: string,
  handle: (msg: JsMsg) => Promise<Outcome>,
): Promise<Running> {
  const { js, logger, config } = deps;
  const consumer = await js.consumers.get(stream, durable);
  const messages: ConsumerMessages = await consumer.consume({ max_messages: 2_000 });
  const inflight = new Set<Promise<void>>();
  const done = (async () => {
    for await (const msg of messages) {
      const p = handle(msg)
        .catch((err: unknown) => {
          const deliveries = msg.info.deliveryCount;
          logger.error({ err, stream, durable, seq: msg.seq, deliveries }, 'message handler failed');
          return outcomeOf(err, deliveries, config.delivery);
        })
        .then((outcome) => settle(msg, outcome, { deps, stream, durable }))
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

async function settle(
  msg: JsMsg,
  outcome: Outcome,
  at: { deps: ConsumeDeps; stream: string; durable: string },
): Promise<void> {
  if (outcome.kind === 'ack') msg.ack();
  else if (outcome.kind === 'nak') msg.nak(outcome.delayMs);
  else {
    try {
      await at.deps.deadLetters({
        source: `consumer:${at.durable}`,
        position: `${at.stream}#${msg.seq}`,
        code: outcome.code,
        reason: outcome.reason,
        raw: msg.string(),
      });
    } catch (err) {
      // Not parked, so not terminated: it comes back after the back-off and is parked then.
      at.deps.logger.error({ err, stream: at.stream, seq: msg.seq }, 'dead letter not stored; retrying');
      msg.nak(backoffMs(msg.info.deliveryCount, at.deps.config.delivery.backoffMs));
      return;
    }
    // No reason on the term: nats-server 2.9 ignores `+TERM <reason>` (the message would stay pending); the
    // reason is in the dead letter.
    msg.term();
  }
}
