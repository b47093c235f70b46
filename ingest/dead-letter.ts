import { z } from 'zod';

/** What the dead-letter stream holds for each input it could not take: enough to inspect, fix and replay. */
export const deadLetterSchema = z.object({
  id: z.string(),
  receivedAt: z.iso.datetime({ offset: true }),
  source: z.string(),
  /** Where in the source: file:line, HTTP request id, NATS subject … */
  position: z.string().optional(),
  code: z.string(),
  reason: z.string(),
  /** The raw input as received (text), so a fixed version can be re-submitted. */
  raw: z.string(),
});
export type DeadLetter = z.output<typeof deadLetterSchema>;
