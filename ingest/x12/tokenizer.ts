import { ByteReader, type ByteRecord, type TextRecord } from '../files/byte-reader.ts';
import { decodeUtf8, startsWithBom } from '../files/utf8.ts';

/**
 * X12 byte stream → segments. Separators are read from each ISA header, never assumed: the element
 * separator is the byte after "ISA", and the component separator and segment terminator are the two
 * bytes after the 16th element separator (so a sloppily padded ISA still works). Whitespace between
 * segments (newlines after `~`, indentation) is ignored; a newline may itself be the terminator.
 */
export interface Delimiters {
  readonly element: string;
  readonly component: string;
  /** The terminator byte; `\n` for newline-terminated files (a `\r` before it is dropped). */
  readonly segment: string;
}

export interface Segment {
  readonly kind: 'segment';
  readonly tag: string;
  /** elements[0] is the tag, so elements[n] is X12's element n (e.g. AT7-05 = elements[5]). */
  readonly elements: readonly string[];
  readonly text: string;
  /** 1-based index of the segment in the file. */
  readonly index: number;
  readonly line: number;
  readonly delimiters: Delimiters;
}

/** A segment, or what made one unreadable (a segment is its own token: no wrapper per segment). */
export type Token =
  | Segment
  | {
      readonly kind: 'error';
      readonly code: string;
      readonly reason: string;
      readonly index: number;
      readonly line: number;
      readonly raw: string;
      /** True when the rest of the file cannot be read (no usable ISA). */
      readonly fatal: boolean;
    };

export interface TokenizerOptions {
  /** A segment longer than this is rejected (its transaction set with it); default 64 KiB. */
  readonly maxSegmentBytes?: number;
  readonly onBytes?: (n: number) => void;
}

const ISA_SCAN_BYTES = 512;
const isSpace = (b: number) => b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;

export async function* tokenizeX12(
  source: AsyncIterable<Buffer | string>,
  options: TokenizerOptions = {},
): AsyncGenerator<Token> {
  for await (const batch of tokenizeX12Batches(source, options)) yield* batch;
}

/**
 * Most tokens in one batch. Small enough that a batch, and the events converted from it, are mostly gone
 * by the next young-generation GC: with 4,096 (about a whole 64 KiB chunk) ~1,300 statuses stayed alive
 * across collections, and an import's GC did ~1.5× the copying and ~1.5–2× the pause time.
 */
const MAX_BATCH = 512;

/**
 * The same tokens in batches: every segment already read into memory is split in one synchronous run,
 * so the consumer pays the async hand-off per chunk rather than per segment.
 */
export async function* tokenizeX12Batches(
  source: AsyncIterable<Buffer | string>,
  options: TokenizerOptions = {},
): AsyncGenerator<Token[]> {
  const maxSegmentBytes = options.maxSegmentBytes ?? 65_536;
  const reader = new ByteReader(source, options.onBytes);
  let index = 0;
  const head = await reader.peek(3);
  if (startsWithBom(head)) await reader.skipWhile(countdown(3));

  for (;;) {
    await reader.skipWhile(isSpace);
    if (await reader.atEnd()) return;
    const found = await readDelimiters(reader);
    if ('reason' in found) {
      const preview = (await reader.peek(80)).toString('latin1');
      yield [
        {
          kind: 'error',
          code: found.code,
          reason: found.reason,
          index: index + 1,
          line: reader.line,
          raw: preview,
          fatal: true,
        },
      ];
      return;
    }
    const delimiters = found;
    const terminator = delimiters.segment.charCodeAt(0);
    let interchangeEnded = false;
    while (!interchangeEnded) {
      await reader.skipWhile(isSpace);
      let record: ByteRecord | TextRecord | undefined = await reader.readRecord(terminator, maxSegmentBytes);
      if (!record) return;
      const batch: Token[] = [];
      while (record) {
        index++;
        const token = toToken(record, index, delimiters, maxSegmentBytes);
        batch.push(token);
        // A new interchange may declare other separators: go back to reading an ISA.
        if (token.kind === 'segment' && token.tag === 'IEA') {
          interchangeEnded = true;
          break;
        }
        record =
          batch.length < MAX_BATCH && reader.skipBufferedWhile(isSpace)
            ? reader.readBuffered(terminator, maxSegmentBytes)
            : undefined;
      }
      yield batch;
    }
  }
}

function toToken(
  record: ByteRecord | TextRecord,
  index: number,
  delimiters: Delimiters,
  maxSegmentBytes: number,
): Token {
  if ('text' in record) return segmentToken(record.text, index, record.line, delimiters);
  if (record.oversizeBytes !== undefined) {
    return {
      kind: 'error',
      code: 'X12_SEGMENT_TOO_LONG',
      reason: `segment ${index}: ${record.oversizeBytes} bytes, expected at most ${maxSegmentBytes} bytes per segment`,
      index,
      line: record.line,
      raw: record.bytes.toString('latin1'),
      fatal: false,
    };
  }
  const text = decodeUtf8(record.bytes, () => `segment ${index}`);
  if (typeof text !== 'string') {
    return {
      kind: 'error',
      code: text.code,
      reason: text.message,
      index,
      line: record.line,
      raw: record.bytes.toString('latin1'),
      fatal: false,
    };
  }
  return segmentToken(text, index, record.line, delimiters);
}

function segmentToken(text: string, index: number, line: number, delimiters: Delimiters): Token {
  // trimEnd strips exactly what /\s+$/u would (WhiteSpace and LineTerminator), without a regex.
  const trimmed = text.trimEnd();
  const elements = trimmed.split(delimiters.element);
  const tag = elements[0] ?? '';
  return { kind: 'segment', tag, elements, text: trimmed, index, line, delimiters };
}

type Found = Delimiters | { readonly code: string; readonly reason: string };

async function readDelimiters(reader: ByteReader): Promise<Found> {
  const head = await reader.peek(ISA_SCAN_BYTES);
  const text = head.toString('latin1');
  if (!text.startsWith('ISA')) {
    return {
      code: 'X12_NO_ISA',
      reason: `expected an ISA interchange header at line ${reader.line}, got ${JSON.stringify(text.slice(0, 20))}; the rest of the file cannot be read as X12`,
    };
  }
  const element = text[3];
  if (element === undefined || /[A-Za-z0-9\s]/.test(element)) {
    return {
      code: 'X12_BAD_SEPARATOR',
      reason: `ISA element separator: got ${JSON.stringify(element ?? '')}, expected a punctuation character right after "ISA"`,
    };
  }
  let at = 3;
  for (let n = 1; n < 16; n++) {
    at = text.indexOf(element, at + 1);
    if (at === -1) {
      return {
        code: 'X12_ISA_TRUNCATED',
        reason: `ISA header: found ${n} of 16 elements separated by ${JSON.stringify(element)}, expected 16 (truncated or not X12)`,
      };
    }
  }
  const component = text[at + 1];
  let segment = text[at + 2];
  if (component === undefined || segment === undefined) {
    return {
      code: 'X12_ISA_TRUNCATED',
      reason: 'ISA header: ends before ISA16 and the segment terminator, expected both',
    };
  }
  if (segment === '\r') segment = '\n';
  if (
    segment === element ||
    segment === component ||
    /[A-Za-z0-9 ]/.test(segment) ||
    segment.charCodeAt(0) > 0x7f
  ) {
    return {
      code: 'X12_BAD_SEPARATOR',
      reason: `ISA segment terminator: got ${JSON.stringify(segment)}, expected a character distinct from the element separator ${JSON.stringify(element)} and component separator ${JSON.stringify(component)}`,
    };
  }
  return { element, component, segment };
}

function countdown(n: number): (byte: number) => boolean {
  let left = n;
  return () => left-- > 0;
}
