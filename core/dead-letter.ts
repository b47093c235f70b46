import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { StreamNames } from './nats.ts';
import type { JetStreamPublisher } from './publisher.ts';

/** What the dead-letter stream holds for each input Dockside could not take: enough to inspect, fix and replay. */
export const deadLetterSchema = z.object({
  id: z.string(),
  receivedAt: z.iso.datetime({ offset: true }),
  /** Who parked it: `http`, `nats:<source>`, `file:<name>`, `detector`, `consumer:<durable>` … */
  source: z.string(),
  /** Where in the source: file:line, HTTP request id, stream sequence … */
  position: z.string().optional(),
  code: z.string(),
  reason: z.string(),
  /** The raw input as received (text), so a fixed version can be re-submitted. */
  raw: z.string(),
});
export type DeadLetter = z.output<typeof deadLetterSchema>;
export type DeadLetterInput = Omit<DeadLetter, 'id' | 'receivedAt'>;

/**
 * Publishes a dead letter. Its id derives from source + position + raw input: parking the same record twice
 * (a re-import, a redelivery) keeps one, while two identical bad lines at different positions stay two.
 * Fails with the publisher's error classes (RetryableError when not stored).
 */
export async function publishDeadLetter(
  publisher: JetStreamPublisher,
  names: StreamNames,
  entry: DeadLetterInput,
): Promise<DeadLetter> {
  const dl: DeadLetter = {
    id: `dl:${createHash('sha256')
      .update([entry.source, entry.position ?? '', entry.raw].join('\u001f'))
      .digest('hex')
      .slice(0, 32)}`,
    receivedAt: new Date().toISOString(),
    ...entry,
  };
  await publisher.publish(names.deadLetterSubject(entry.source), JSON.stringify(dl), { msgID: dl.id });
  return dl;
}

/** Where a consumer parks what it cannot process (one per process, handed to every consumer). */
export type DeadLetters = (entry: DeadLetterInput) => Promise<DeadLetter>;

export function deadLettersTo(publisher: JetStreamPublisher, names: StreamNames): DeadLetters {
  return (entry) => publishDeadLetter(publisher, names, entry);
}
