import { createHash } from 'node:crypto';
import type { JetStreamClient } from '@nats-io/jetstream';
import { z } from 'zod';
import { RetryableError } from './errors.ts';
import type { StreamNames } from './nats.ts';

/** What the dead-letter stream holds for each input Dockside could not take: enough to inspect, fix and replay. */
export const deadLetterSchema = z.object({
  id: z.string(),
  receivedAt: z.iso.datetime({ offset: true }),
  /** Who parked it: `http`, `nats:<source>`, `file:<name>`, `detector` … */
  source: z.string(),
  /** Where in the source: file:line, HTTP request id, stream sequence … */
  position: z.string().optional(),
  code: z.string(),
  reason: z.string(),
  /** The raw input as received (text), so a fixed version can be re-submitted. */
  raw: z.string(),
});
export type DeadLetter = z.output<typeof deadLetterSchema>;

/**
 * Publishes a dead letter. Its id derives from source + position + raw input: parking the same record twice
 * (a re-import) keeps one, while two identical bad lines at different positions stay two.
 */
export async function publishDeadLetter(
  js: JetStreamClient,
  names: StreamNames,
  entry: Omit<DeadLetter, 'id' | 'receivedAt'>,
): Promise<DeadLetter> {
  const dl: DeadLetter = {
    id: `dl:${createHash('sha256')
      .update([entry.source, entry.position ?? '', entry.raw].join('\u001f'))
      .digest('hex')
      .slice(0, 32)}`,
    receivedAt: new Date().toISOString(),
    ...entry,
  };
  try {
    await js.publish(names.deadLetterSubject(entry.source), JSON.stringify(dl), { msgID: dl.id });
  } catch (cause) {
    throw new RetryableError('PUBLISH_FAILED', `publishing dead letter ${dl.id} failed`, { cause });
  }
  return dl;
}
