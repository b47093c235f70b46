import { RejectError } from '../../core/mod.ts';
import type { Zone } from '../files/local-time.ts';
import { fieldError } from '../files/record.ts';
import { segmentPosition, type TransactionSet } from './envelope.ts';
import type { Segment } from './tokenizer.ts';

/** What a transaction-set mapper gets, and what it returns: candidates or per-item errors. */
export interface SetContext {
  readonly set: TransactionSet;
  /** Zone for LT / absent X12 time codes (the sender's local time). */
  readonly localZone: Zone;
}

export type MappedItem =
  | { readonly position: string; readonly candidate: Record<string, unknown>; readonly context: string }
  | { readonly position: string; readonly error: RejectError };

/** X12 element n of a segment ('' when absent), trimmed: fixed-width fields are space-padded. */
export function el(s: Segment | undefined, n: number): string {
  return (s?.elements[n] ?? '').trim();
}

export function itemPosition(set: TransactionSet, what: string, s: Segment): string {
  return `ST ${set.controlNumber} ${what} (${segmentPosition(s)})`;
}

/** Runs one item's mapping; a RejectError becomes that item's rejection, other errors propagate. */
export function attempt(position: string, build: () => MappedItem | MappedItem[]): MappedItem[] {
  try {
    const out = build();
    return Array.isArray(out) ? out : [out];
  } catch (err) {
    return [rejectedItem(position, err)];
  }
}

/** A RejectError thrown while mapping an item becomes that item's rejection; anything else propagates. */
export function rejectedItem(position: string, err: unknown): MappedItem {
  if (err instanceof RejectError) return { position, error: err };
  throw err;
}

/** Envelope facts every X12-derived event carries (extra fields; the contract keeps unknown fields). */
export function x12Envelope(set: TransactionSet): { source: string; x12: Record<string, unknown> } {
  return {
    source: `x12:${set.code}`,
    x12: {
      sender: set.interchange.senderId,
      receiver: set.interchange.receiverId,
      interchange: set.interchange.controlNumber,
      // A malformed GS has its fields shifted: its positional control number and version mean nothing.
      ...(set.group.malformed ? {} : { group: set.group.controlNumber }),
      set: set.controlNumber,
      version: (set.group.malformed ? '' : set.group.version) || set.interchange.version,
      ...(set.group.malformed
        ? { warnings: [`${set.group.malformed}: GS06/GE02 control numbers not compared`] }
        : {}),
    },
  };
}

/** First non-empty value among candidates, with the name of the source field it came from. */
export function firstOf(
  candidates: ReadonlyArray<readonly [string, string]>,
): { value: string; from: string } | undefined {
  for (const [from, value] of candidates) if (value !== '') return { value, from };
  return undefined;
}

export function required(
  found: { value: string; from: string } | undefined,
  field: string,
  expected: string,
): { value: string; from: string } {
  if (!found) throw fieldError('X12_MISSING_FIELD', field, '', expected);
  return found;
}

/** Parses an X12 decimal (R type): digits with an optional sign and decimal point. */
export function x12Number(text: string, field: string): number {
  if (/^-?(\d+\.?\d*|\.\d+)$/.test(text)) return Number(text);
  throw fieldError('X12_BAD_NUMBER', field, text, 'a decimal number');
}

/** REF/L11/N9-style references: qualifier → values, in document order. */
export function collectRefs(segments: readonly Segment[], tag: string, valueAt: number, qualifierAt: number) {
  const refs = new Map<string, string[]>();
  for (const s of segments) {
    if (s.tag !== tag) continue;
    const q = el(s, qualifierAt);
    const v = el(s, valueAt);
    if (!v) continue;
    refs.set(q, [...(refs.get(q) ?? []), v]);
  }
  return refs;
}

export function refsObject(refs: Map<string, string[]>): Record<string, string[]> {
  return Object.fromEntries(refs);
}

/** An N1 party: the id (N104) when present, else the name (N102). */
export interface Party {
  readonly code: string;
  readonly id: string;
  readonly name: string;
  readonly city: string;
  readonly state: string;
}

/** N1 loops with the N4 that follows each one (city/state). */
export function collectParties(segments: readonly Segment[]): Party[] {
  const parties: Party[] = [];
  let current: { code: string; id: string; name: string; city: string; state: string } | undefined;
  for (const s of segments) {
    if (s.tag === 'N1') {
      if (current) parties.push(current);
      current = { code: el(s, 1), name: el(s, 2), id: el(s, 4), city: '', state: '' };
    } else if (s.tag === 'N4' && current) {
      current.city = el(s, 1);
      current.state = el(s, 2);
    } else if (s.tag === 'LX' || s.tag === 'HL' || s.tag === 'W12') {
      // N1 loops end where detail loops start.
      if (current) parties.push(current);
      current = undefined;
    }
  }
  if (current) parties.push(current);
  return parties;
}

export function partyKey(p: Party | undefined): string {
  return p ? p.id || p.name : '';
}
