import { type CanonicalEvent, describeValue, parseEvent, RejectError } from '../../core/mod.ts';

/**
 * What every format adapter yields, one per input record (line, CSV row, X12 status, EPCIS event):
 * a validated canonical event, or a rejection naming where it was and why. Nothing else leaves an adapter,
 * so "every record is accounted for" is a property of the type, not of each adapter's discipline.
 */
export interface Accepted {
  readonly ok: true;
  readonly file: string;
  readonly position: string;
  readonly event: CanonicalEvent;
}

export interface Rejected {
  readonly ok: false;
  readonly file: string;
  readonly position: string;
  /** Stable code for dashboards and the dead-letter stream, e.g. `X12_COUNT_MISMATCH`. */
  readonly code: string;
  /** Names the field, the value and what was expected. */
  readonly reason: string;
  /** The source text of the record (clipped), so a fixed version can be re-submitted. */
  readonly raw: string;
}

export type Converted = Accepted | Rejected;

/** Where a record came from, carried by adapters down to `validate`/`reject`. */
export interface Origin {
  readonly file: string;
  readonly position: string;
  readonly raw: string;
}

/** Raw text kept with a rejection: enough to see and fix the record, never a multi-MB line in a NATS message. */
export const RAW_LIMIT = 16_384;

export function clipRaw(raw: string): string {
  if (raw.length <= RAW_LIMIT) return raw;
  return `${raw.slice(0, RAW_LIMIT)}…[clipped ${raw.length - RAW_LIMIT} more characters]`;
}

export function reject(origin: Origin, code: string, reason: string): Rejected {
  return { ok: false, file: origin.file, position: origin.position, code, reason, raw: clipRaw(origin.raw) };
}

/** A RejectError naming one field, its value and what was expected (the house format of core/zod-issues). */
export function fieldError(code: string, field: string, value: unknown, expected: string): RejectError {
  return new RejectError(code, `${field}: got ${describeValue(value)}, expected ${expected}`, [
    { field, value, expected },
  ]);
}

/**
 * Runs one candidate through the event contract. `context` says which source fields fed the
 * candidate, so a contract failure reads e.g. "AT7 → tms.status: shipmentId: got …". `raw` may be a
 * function, called only for a rejection (X12 builds a set's text then, not for every accepted status).
 */
export function validate(
  candidate: unknown,
  origin: Omit<Origin, 'raw'> & { readonly raw: string | (() => string) },
  context?: string,
): Converted {
  try {
    const event = parseEvent(candidate);
    return { ok: true, file: origin.file, position: origin.position, event };
  } catch (err) {
    if (err instanceof RejectError) {
      const raw = typeof origin.raw === 'function' ? origin.raw() : origin.raw;
      const at = { file: origin.file, position: origin.position, raw };
      return reject(at, err.code, context ? `${context}: ${err.message}` : err.message);
    }
    throw err;
  }
}

/** Turns a RejectError thrown by a mapping step into a rejection; anything else is a bug and propagates. */
export function rejectionFrom(err: unknown, origin: Origin): Rejected {
  if (err instanceof RejectError) return reject(origin, err.code, err.message);
  throw err;
}
