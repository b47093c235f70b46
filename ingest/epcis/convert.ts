import { isUtf8 } from 'node:buffer';
import { type FieldIssue, fieldIssues, formatIssues, parseJsonGuarded, RejectError } from '../../core/mod.ts';
import { type Converted, reject, rejectionFrom, validate } from '../files/record.ts';
import { firstInvalidUtf8 } from '../files/utf8.ts';
import { canonicalId, mapEpcisEvent } from './map-event.ts';
import { type EpcisEvent, epcisDocumentSchema, epcisEventSchema } from './schema.ts';

export interface EpcisOptions {
  /** An EPCIS document is one JSON value and is parsed whole: above this size it is rejected (default 64 MiB). */
  readonly maxDocumentBytes: number;
  readonly maxJsonDepth: number;
  readonly onBytes?: (n: number) => void;
}

/**
 * An EPCIS 2.0 JSON/JSON-LD file (EPCISDocument, EPCISQueryDocument, or one bare event) → one result
 * per event. The document is read with a size cap, since a JSON document cannot be split into records
 * before it is parsed; larger feeds should come as several documents.
 */
export async function* convertEpcis(
  file: string,
  source: AsyncIterable<Buffer | string>,
  options: EpcisOptions,
): AsyncGenerator<Converted> {
  const whole = { file, position: 'document', raw: '' };
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of source) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    options.onBytes?.(buf.length);
    size += buf.length;
    if (size <= options.maxDocumentBytes) chunks.push(buf);
  }
  const bytes = Buffer.concat(chunks);
  if (size > options.maxDocumentBytes) {
    yield reject(
      { ...whole, raw: bytes.subarray(0, 512).toString('latin1') },
      'DOCUMENT_TOO_LARGE',
      `document: ${size} bytes, expected at most ${options.maxDocumentBytes} bytes (split the feed into several EPCIS documents)`,
    );
    return;
  }
  if (!isUtf8(bytes)) {
    const at = firstInvalidUtf8(bytes);
    yield reject(
      { ...whole, raw: bytes.subarray(0, 512).toString('latin1') },
      'INVALID_UTF8',
      `document: invalid UTF-8 at byte ${at} (0x${(bytes[at] ?? 0).toString(16)}), expected UTF-8 JSON`,
    );
    return;
  }
  const text = bytes.toString('utf8').replace(/^\uFEFF/, '');
  let value: unknown;
  try {
    value = parseJsonGuarded(text, options.maxJsonDepth, 'document');
  } catch (err) {
    yield rejectionFrom(err, { ...whole, raw: text });
    return;
  }
  const list = eventsOf(value);
  if (list instanceof RejectError) {
    yield rejectionFrom(list, { ...whole, raw: text });
    return;
  }

  const parsed = list.map((raw, i) => ({ i, raw, result: epcisEventSchema.safeParse(raw) }));
  const supersedes = new Map<string, string[]>();
  for (const p of parsed) {
    const declared = p.result.success ? p.result.data.errorDeclaration : undefined;
    if (!p.result.success || !declared) continue;
    for (const corrective of declared.correctiveEventIDs ?? []) {
      supersedes.set(corrective, [...(supersedes.get(corrective) ?? []), canonicalId(p.result.data)]);
    }
  }
  for (const p of parsed) {
    const origin = { file, position: positionOf(p.i, p.raw), raw: safeJson(p.raw) };
    if (!p.result.success) {
      const issues = prefixed(fieldIssues(p.result.error, p.raw), `eventList[${p.i}]`);
      yield reject(
        origin,
        isTypeIssue(issues) ? 'EPCIS_EVENT_TYPE_UNKNOWN' : 'EPCIS_INVALID',
        formatIssues(issues),
      );
      continue;
    }
    let mapped: ReturnType<typeof mapEpcisEvent>;
    try {
      mapped = mapEpcisEvent(p.result.data, { supersedes });
    } catch (err) {
      yield rejectionFrom(err, origin);
      continue;
    }
    for (const m of mapped) {
      yield validate(
        m.candidate,
        { ...origin, position: m.suffix ? `${origin.position} ${m.suffix.slice(1)}` : origin.position },
        m.context,
      );
    }
  }
}

function eventsOf(value: unknown): unknown[] | RejectError {
  if (isBareEvent(value)) return [value];
  const doc = epcisDocumentSchema.safeParse(value);
  if (!doc.success) {
    const issues = fieldIssues(doc.error, value);
    return new RejectError('EPCIS_NOT_A_DOCUMENT', formatIssues(issues), issues, { cause: doc.error });
  }
  const body = doc.data.epcisBody;
  const list = body.eventList ?? body.queryResults?.resultsBody.eventList;
  if (!list) {
    return new RejectError(
      'EPCIS_NOT_A_DOCUMENT',
      'epcisBody.eventList: got undefined (missing), expected an array of events (or queryResults.resultsBody.eventList)',
    );
  }
  return list;
}

function isBareEvent(value: unknown): value is EpcisEvent {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const type: unknown = Object.getOwnPropertyDescriptor(value, 'type')?.value;
  return typeof type === 'string' && type.endsWith('Event');
}

function positionOf(i: number, raw: unknown): string {
  const id =
    raw && typeof raw === 'object' ? Object.getOwnPropertyDescriptor(raw, 'eventID')?.value : undefined;
  return typeof id === 'string' ? `eventList[${i}] (${id.slice(0, 120)})` : `eventList[${i}]`;
}

function prefixed(issues: FieldIssue[], prefix: string): FieldIssue[] {
  return issues.map((x) => ({ ...x, field: x.field ? `${prefix}.${x.field}` : prefix }));
}

function isTypeIssue(issues: readonly FieldIssue[]): boolean {
  return issues.some((x) => x.field.endsWith('.type'));
}

function safeJson(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}
