import type { z } from 'zod';
import { RejectError } from './errors.ts';
import { conformsToContract } from './event-conforms.ts';
import { type CanonicalEvent, envelopeSchema, eventSchemas, eventTypes, isEventType } from './events.ts';
import { fieldIssues, formatIssues } from './zod-issues.ts';

/**
 * Validates one canonical event; throws RejectError naming each bad field, its value and what was
 * expected. A valid event is checked by hand first (event-conforms.ts) and returned as it came, with
 * `schemaVersion` defaulted in place; only an event the hand check is unsure of is parsed by the schemas,
 * which accept it (as a parsed copy) or explain what is wrong.
 */
export function parseEvent(input: unknown): CanonicalEvent {
  return conformsToContract(input) ? (input as CanonicalEvent) : parseEventBySchema(input);
}

/** parseEvent by the zod schemas alone: the reference the hand check is tested against. */
export function parseEventBySchema(input: unknown): CanonicalEvent {
  // Hot path: a known type is validated in one pass; the envelope pass only runs to explain a bad type.
  const declared =
    input !== null && typeof input === 'object' ? (input as { type?: unknown }).type : undefined;
  if (typeof declared === 'string' && isEventType(declared)) {
    const parsed = eventSchemas[declared].safeParse(input);
    if (!parsed.success) throw invalid(parsed.error, input);
    return parsed.data as CanonicalEvent;
  }
  const envelope = envelopeSchema.safeParse(input);
  if (!envelope.success) throw invalid(envelope.error, input);
  const type = envelope.data.type;
  if (!isEventType(type)) {
    throw new RejectError(
      'EVENT_TYPE_UNKNOWN',
      `type: got ${JSON.stringify(type)}, expected one of ${eventTypes.join(', ')}`,
      [{ field: 'type', value: type, expected: `one of ${eventTypes.join(', ')}` }],
    );
  }
  const parsed = eventSchemas[type].safeParse(input);
  if (!parsed.success) throw invalid(parsed.error, input);
  return parsed.data as CanonicalEvent;
}

function invalid(error: z.ZodError, input: unknown): RejectError {
  const issues = fieldIssues(error, input);
  return new RejectError('EVENT_INVALID', formatIssues(issues), issues, { cause: error });
}
