import { DeliverPolicy, type JetStreamClient } from '@nats-io/jetstream';
import { type DetectedException, exceptionSchema, type Logger, type StreamNames } from '../core/mod.ts';

export interface LiveFeed {
  subscribe(listener: (ex: DetectedException) => void): () => void;
  stop(): Promise<void>;
}

/** Fans new exception states out to live board clients, from an ordered consumer on the exceptions stream. */
export async function startLiveFeed(
  js: JetStreamClient,
  names: StreamNames,
  logger: Logger,
): Promise<LiveFeed> {
  const listeners = new Set<(ex: DetectedException) => void>();
  const consumer = await js.consumers.get(names.exceptionsStream, { deliver_policy: DeliverPolicy.New });
  const messages = await consumer.consume();
  const done = (async () => {
    for await (const msg of messages) {
      const parsed = exceptionSchema.safeParse(msg.json());
      if (!parsed.success) {
        logger.warn({ seq: msg.seq }, 'live feed skipped a message that is not an exception');
        continue;
      }
      for (const l of listeners) l(parsed.data);
    }
  })();
  return {
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async stop() {
      await messages.close();
      await done;
    },
  };
}
