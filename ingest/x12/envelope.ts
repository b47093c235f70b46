import type { Segment, Token } from './tokenizer.ts';

/**
 * Segments → transaction sets, checking the envelopes as they close:
 *  - SE01 = segments from ST to SE inclusive, SE02 = ST02;
 *  - GE01 = ST sets in the group, GE02 = GS06;
 *  - IEA01 = GS groups in the interchange, IEA02 = ISA13.
 * A set is released as soon as its own SE checks out (one set is held in memory, never a whole
 * interchange), so a later GE/IEA mismatch cannot un-release it: it is reported as its own rejection,
 * naming the missing or extra sets. A set whose SE does not check out is rejected whole.
 */
export interface Interchange {
  readonly senderQualifier: string;
  readonly senderId: string;
  readonly receiverId: string;
  readonly controlNumber: string;
  readonly version: string;
  readonly segment: Segment;
}

export interface Group {
  readonly functionalId: string;
  readonly senderCode: string;
  /** GS04 / GS05: when the group was created (the 214 ETA codes use it as the report time). */
  readonly date: string;
  readonly time: string;
  readonly controlNumber: string;
  readonly version: string;
  /** Set when GS does not have its 8 elements, so positional GS fields (GS06…) cannot be trusted. */
  readonly malformed?: string;
  readonly segment: Segment;
}

export interface TransactionSet {
  readonly interchange: Interchange;
  readonly group: Group;
  readonly code: string;
  readonly controlNumber: string;
  /** ST … SE inclusive. */
  readonly segments: readonly Segment[];
}

export interface EnvelopeError {
  readonly code: string;
  readonly reason: string;
  readonly position: string;
  readonly raw: string;
}

export type EnvelopeItem =
  | { readonly kind: 'set'; readonly set: TransactionSet }
  | { readonly kind: 'error'; readonly error: EnvelopeError };

export interface EnvelopeOptions {
  /** A transaction set with more segments than this is rejected (bounds memory); default 100,000. */
  readonly maxSetSegments?: number;
}

export function segmentPosition(s: Pick<Segment, 'tag' | 'index' | 'line'>): string {
  return `${s.tag || '(empty)'} at segment ${s.index}, line ${s.line}`;
}

export function setText(segments: readonly Segment[]): string {
  const first = segments[0];
  if (!first) return '';
  const t = first.delimiters.segment === '\n' ? '\n' : `${first.delimiters.segment}\n`;
  return segments.map((s) => s.text).join(t) + t.trimEnd();
}

const el = (s: Segment, n: number): string => (s.elements[n] ?? '').trim();

interface OpenSet {
  readonly st: Segment;
  readonly segments: Segment[];
  poison?: { code: string; reason: string };
  overflow: number;
}

/**
 * The envelope checker as a push-style state machine: `push` one token, `finish` at the end of the
 * input; each appends the items it releases to `out`. Synchronous, so a batch of tokens is checked
 * without an await per segment.
 */
export interface EnvelopeReader {
  push(token: Token, out: EnvelopeItem[]): void;
  finish(out: EnvelopeItem[]): void;
}

export async function* readEnvelopes(
  tokens: AsyncIterable<Token>,
  options: EnvelopeOptions = {},
): AsyncGenerator<EnvelopeItem> {
  const reader = envelopeReader(options);
  const out: EnvelopeItem[] = [];
  for await (const token of tokens) {
    reader.push(token, out);
    yield* out.splice(0);
  }
  reader.finish(out);
  yield* out;
}

export function envelopeReader(options: EnvelopeOptions = {}): EnvelopeReader {
  const maxSetSegments = options.maxSetSegments ?? 100_000;
  let interchange: Interchange | undefined;
  let groupsInInterchange = 0;
  let group: Group | undefined;
  let setsInGroup = 0;
  let open: OpenSet | undefined;

  const error = (code: string, reason: string, position: string, raw: string): EnvelopeItem => ({
    kind: 'error',
    error: { code, reason, position, raw },
  });

  function closeOpenSet(out: EnvelopeItem[], why: string, at: string): void {
    if (!open) return;
    const st = open.st;
    out.push(
      error(
        'X12_TRUNCATED',
        `ST ${el(st, 2)} (${el(st, 1)}) has no SE trailer: ${why} at ${at}; the set is incomplete`,
        segmentPosition(st),
        setText(open.segments),
      ),
    );
    open = undefined;
  }

  function push(token: Token, out: EnvelopeItem[]): void {
    if (token.kind === 'error') {
      if (open) {
        open.poison ??= { code: token.code, reason: token.reason };
        return;
      }
      out.push(error(token.code, token.reason, `segment ${token.index}, line ${token.line}`, token.raw));
      return;
    }
    const seg = token;

    if (
      open &&
      seg.tag !== 'SE' &&
      seg.tag !== 'ST' &&
      seg.tag !== 'GE' &&
      seg.tag !== 'IEA' &&
      seg.tag !== 'ISA' &&
      seg.tag !== 'GS'
    ) {
      if (open.segments.length >= maxSetSegments) open.overflow++;
      else open.segments.push(seg);
      return;
    }

    const pos = segmentPosition(seg);
    switch (seg.tag) {
      case 'ISA': {
        if (open) closeOpenSet(out, 'a new ISA began', pos);
        if (interchange) {
          out.push(
            error(
              'X12_TRUNCATED',
              `interchange ${interchange.controlNumber} has no IEA trailer before the next ISA at ${pos}`,
              segmentPosition(interchange.segment),
              interchange.segment.text,
            ),
          );
        }
        group = undefined;
        if (seg.elements.length < 17) {
          interchange = undefined;
          out.push(
            error(
              'X12_ISA_INVALID',
              `ISA: got ${seg.elements.length - 1} elements, expected 16`,
              pos,
              seg.text,
            ),
          );
          break;
        }
        interchange = {
          senderQualifier: el(seg, 5),
          senderId: el(seg, 6),
          receiverId: el(seg, 8),
          version: el(seg, 12),
          controlNumber: el(seg, 13),
          segment: seg,
        };
        groupsInInterchange = 0;
        break;
      }
      case 'GS': {
        if (open) closeOpenSet(out, 'a GS began', pos);
        if (!interchange) {
          out.push(
            error('X12_ENVELOPE', `GS outside an interchange: expected an ISA before it`, pos, seg.text),
          );
          break;
        }
        if (group) {
          out.push(
            error(
              'X12_TRUNCATED',
              `group ${group.controlNumber} has no GE trailer before the next GS at ${pos}`,
              segmentPosition(group.segment),
              group.segment.text,
            ),
          );
        }
        const count = seg.elements.length - 1;
        group = {
          functionalId: el(seg, 1),
          senderCode: el(seg, 2),
          date: el(seg, 4),
          time: el(seg, 5),
          controlNumber: el(seg, 6),
          version: el(seg, 8),
          ...(count === 8 ? {} : { malformed: `GS has ${count} elements, expected 8` }),
          segment: seg,
        };
        groupsInInterchange++;
        setsInGroup = 0;
        break;
      }
      case 'ST': {
        if (open) closeOpenSet(out, `a new ST began`, pos);
        if (!interchange || !group) {
          out.push(
            error(
              'X12_ENVELOPE',
              `ST outside a functional group: expected ISA and GS before it`,
              pos,
              seg.text,
            ),
          );
          break;
        }
        setsInGroup++;
        open = { st: seg, segments: [seg], overflow: 0 };
        break;
      }
      case 'SE': {
        if (!open || !interchange || !group) {
          out.push(error('X12_ENVELOPE', `SE without a matching ST`, pos, seg.text));
          break;
        }
        const current = open;
        open = undefined;
        current.segments.push(seg);
        const st = current.st;
        const counted = current.segments.length + current.overflow;
        const where = segmentPosition(st);
        // The set's text goes with a rejection only; an accepted set never needs it.
        const raw = () => setText(current.segments);
        if (current.poison) {
          out.push(error(current.poison.code, `ST ${el(st, 2)}: ${current.poison.reason}`, where, raw()));
        } else if (current.overflow > 0) {
          out.push(
            error(
              'X12_SET_TOO_LARGE',
              `ST ${el(st, 2)}: ${counted} segments, expected at most ${maxSetSegments} per transaction set`,
              where,
              raw(),
            ),
          );
        } else if (el(seg, 1) !== String(counted)) {
          out.push(
            error(
              'X12_COUNT_MISMATCH',
              `SE01: got ${JSON.stringify(el(seg, 1))}, expected "${counted}" (segments from ST to SE in set ${el(st, 2)})`,
              where,
              raw(),
            ),
          );
        } else if (el(seg, 2) !== el(st, 2)) {
          out.push(
            error(
              'X12_CONTROL_MISMATCH',
              `SE02: got ${JSON.stringify(el(seg, 2))}, expected "${el(st, 2)}" (the ST02 control number)`,
              where,
              raw(),
            ),
          );
        } else {
          out.push({
            kind: 'set',
            set: {
              interchange,
              group,
              code: el(st, 1),
              controlNumber: el(st, 2),
              segments: current.segments,
            },
          });
        }
        break;
      }
      case 'GE': {
        if (open) closeOpenSet(out, 'the group ended', pos);
        if (!group) {
          out.push(error('X12_ENVELOPE', `GE without a matching GS`, pos, seg.text));
          break;
        }
        const raw = `${group.segment.text}\n${seg.text}`;
        if (el(seg, 1) !== String(setsInGroup)) {
          out.push(
            error(
              'X12_COUNT_MISMATCH',
              `GE01: got ${JSON.stringify(el(seg, 1))}, expected "${setsInGroup}" (ST sets received in group ${group.controlNumber}); sets are missing or extra`,
              pos,
              raw,
            ),
          );
        } else if (!group.malformed && el(seg, 2) !== group.controlNumber) {
          out.push(
            error(
              'X12_CONTROL_MISMATCH',
              `GE02: got ${JSON.stringify(el(seg, 2))}, expected "${group.controlNumber}" (the GS06 control number)`,
              pos,
              raw,
            ),
          );
        }
        group = undefined;
        break;
      }
      case 'IEA': {
        if (open) closeOpenSet(out, 'the interchange ended', pos);
        if (!interchange) {
          out.push(error('X12_ENVELOPE', `IEA without a matching ISA`, pos, seg.text));
          break;
        }
        const raw = `${interchange.segment.text}\n${seg.text}`;
        if (group) {
          out.push(
            error(
              'X12_TRUNCATED',
              `group ${group.controlNumber} has no GE trailer before IEA at ${pos}`,
              segmentPosition(group.segment),
              group.segment.text,
            ),
          );
          group = undefined;
        }
        if (el(seg, 1) !== String(groupsInInterchange)) {
          out.push(
            error(
              'X12_COUNT_MISMATCH',
              `IEA01: got ${JSON.stringify(el(seg, 1))}, expected "${groupsInInterchange}" (GS groups received in interchange ${interchange.controlNumber}); groups are missing or extra`,
              pos,
              raw,
            ),
          );
        } else if (el(seg, 2) !== interchange.controlNumber) {
          out.push(
            error(
              'X12_CONTROL_MISMATCH',
              `IEA02: got ${JSON.stringify(el(seg, 2))}, expected "${interchange.controlNumber}" (the ISA13 control number)`,
              pos,
              raw,
            ),
          );
        }
        interchange = undefined;
        break;
      }
      default:
        out.push(
          error(
            'X12_ENVELOPE',
            `segment ${seg.tag || '(empty)'} outside a transaction set: expected ST, SE, GS, GE, ISA or IEA here`,
            pos,
            seg.text,
          ),
        );
    }
  }

  function finish(out: EnvelopeItem[]): void {
    if (open) closeOpenSet(out, 'the file ended', 'end of file');
    if (group) {
      out.push(
        error(
          'X12_TRUNCATED',
          `group ${group.controlNumber} has no GE trailer: the file ended`,
          segmentPosition(group.segment),
          group.segment.text,
        ),
      );
    }
    if (interchange) {
      out.push(
        error(
          'X12_TRUNCATED',
          `interchange ${interchange.controlNumber} has no IEA trailer: the file ended`,
          segmentPosition(interchange.segment),
          interchange.segment.text,
        ),
      );
    }
  }

  return { push, finish };
}
