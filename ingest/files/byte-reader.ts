import { isAscii } from 'node:buffer';

/**
 * A pull reader over a byte stream that splits records on a delimiter byte without ever holding more
 * than one record (capped) in memory. Splitting happens on bytes, not decoded text, so an invalid UTF-8
 * sequence poisons only its own record, and a giant line is counted and skipped rather than buffered.
 */
export interface ByteRecord {
  /** The record's bytes without the delimiter; for an oversize record, only its first `PREVIEW_BYTES`. */
  readonly bytes: Buffer;
  /** 1-based line number where the record starts. */
  readonly line: number;
  /** Byte offset of the record's first byte in the stream. */
  readonly offset: number;
  /** Set when the record exceeded the cap: its full length in bytes. */
  readonly oversizeBytes?: number;
  /** False when the stream ended before a delimiter. */
  readonly terminated: boolean;
}

/** A buffered record of an all-ASCII buffer, already text: no byte view, no UTF-8 decoding. */
export interface TextRecord {
  readonly text: string;
  readonly line: number;
}

export const PREVIEW_BYTES = 512;
const NEWLINE = 0x0a;
const SHORT_RECORD = 256;

export class ByteReader {
  private buf: Buffer = Buffer.alloc(0);
  /** Whether every byte of `buf` is ASCII (checked once per chunk, natively). */
  private ascii = true;
  /**
   * `buf` as one string, made on the first text record of an ASCII buffer: records are then slices of
   * it (offsets are the same for ASCII), which V8 makes without copying, instead of one native decode per
   * record.
   */
  private text: string | undefined;
  private pos = 0;
  private ended = false;
  private consumedBefore = 0;
  private lineNo = 1;
  private readonly it: AsyncIterator<Buffer | string>;

  constructor(
    source: AsyncIterable<Buffer | string>,
    private readonly onBytes?: (n: number) => void,
  ) {
    this.it = source[Symbol.asyncIterator]();
  }

  /** Absolute offset of the next unread byte. */
  get offset(): number {
    return this.consumedBefore + this.pos;
  }

  /** Line number of the next unread byte. */
  get line(): number {
    return this.lineNo;
  }

  /** Up to `n` unread bytes without consuming them (fewer only at the end of the stream). */
  async peek(n: number): Promise<Buffer> {
    while (this.buf.length - this.pos < n && (await this.more())) {
      // keep filling
    }
    return this.buf.subarray(this.pos, Math.min(this.buf.length, this.pos + n));
  }

  /** Consumes bytes while `keep(byte)` holds; returns how many. */
  async skipWhile(keep: (byte: number) => boolean): Promise<number> {
    let skipped = 0;
    for (;;) {
      while (this.pos < this.buf.length) {
        const byte = this.buf[this.pos];
        if (byte === undefined || !keep(byte)) return skipped;
        if (byte === NEWLINE) this.lineNo++;
        this.pos++;
        skipped++;
      }
      if (!(await this.more())) return skipped;
    }
  }

  /** True when every byte has been consumed. */
  async atEnd(): Promise<boolean> {
    return (await this.peek(1)).length === 0;
  }

  /**
   * Reads up to the next `delimiter` byte (consumed, not returned). A record longer than `maxBytes` is
   * drained to its delimiter while only its first PREVIEW_BYTES are kept, and flagged with its length.
   */
  async readRecord(delimiter: number, maxBytes: number): Promise<ByteRecord | undefined> {
    if (await this.atEnd()) return undefined;
    const line = this.lineNo;
    const offset = this.offset;
    let scanFrom = this.pos;
    let preview: Buffer | undefined;
    let drained = 0;
    for (;;) {
      const idx = this.buf.indexOf(delimiter, scanFrom);
      if (idx !== -1) {
        const bytes = this.buf.subarray(this.pos, idx);
        this.advanceTo(idx + 1);
        return capped({ bytes, line, offset, terminated: true }, drained, preview, maxBytes);
      }
      const pending = this.buf.length - this.pos;
      if (pending > maxBytes) {
        // Over the cap: keep a preview, drop what is buffered, and keep scanning for the delimiter.
        preview ??= Buffer.from(this.buf.subarray(this.pos, this.pos + PREVIEW_BYTES));
        drained += pending;
        this.advanceTo(this.buf.length);
      }
      const scanned = this.buf.length - this.pos;
      if (!(await this.more())) {
        const bytes = this.buf.subarray(this.pos);
        this.advanceTo(this.buf.length);
        return capped({ bytes, line, offset, terminated: false }, drained, preview, maxBytes);
      }
      // more() re-bases the buffer at the unread bytes: skip what was already scanned.
      scanFrom = this.pos + scanned;
    }
  }

  /**
   * The next record when its delimiter is already buffered and it is within `maxBytes`: no I/O and no
   * await, so a reader can turn a whole chunk into records in one synchronous run. An all-ASCII buffer
   * (the common case) gives the record as text sliced straight from the buffer; any other keeps the
   * bytes for strict UTF-8 decoding. `undefined` means "ask readRecord" (more bytes needed, an oversize
   * record, or the end of the stream).
   */
  readBuffered(delimiter: number, maxBytes: number): ByteRecord | TextRecord | undefined {
    return this.ascii
      ? this.readBufferedText(delimiter, maxBytes)
      : this.readBufferedRecord(delimiter, maxBytes);
  }

  /** readBuffered's byte form, whatever the buffer holds. */
  readBufferedRecord(delimiter: number, maxBytes: number): ByteRecord | undefined {
    const idx = this.bufferedEnd(delimiter, maxBytes);
    if (idx === -1) return undefined;
    const line = this.lineNo;
    const offset = this.offset;
    const bytes = this.buf.subarray(this.pos, idx);
    this.advanceTo(idx + 1);
    return { bytes, line, offset, terminated: true };
  }

  /** readBuffered's text form; `undefined` as well when the buffer holds a non-ASCII byte. */
  readBufferedText(delimiter: number, maxBytes: number): TextRecord | undefined {
    if (!this.ascii) return undefined;
    const idx = this.bufferedEnd(delimiter, maxBytes);
    if (idx === -1) return undefined;
    const line = this.lineNo;
    this.text ??= this.buf.toString('latin1');
    const text = this.text.slice(this.pos, idx);
    this.advanceTo(idx + 1);
    return { text, line };
  }

  /** Index of the next buffered `delimiter` if the record before it is within `maxBytes`, else -1. */
  private bufferedEnd(delimiter: number, maxBytes: number): number {
    const idx = this.buf.indexOf(delimiter, this.pos);
    return idx === -1 || idx - this.pos > maxBytes ? -1 : idx;
  }

  /**
   * Consumes buffered bytes while `keep(byte)` holds, without I/O. Returns false when it reached the
   * end of the buffer (the run may continue in bytes not read yet: finish it with skipWhile).
   */
  skipBufferedWhile(keep: (byte: number) => boolean): boolean {
    const buf = this.buf;
    while (this.pos < buf.length) {
      const byte = buf[this.pos] as number;
      if (!keep(byte)) return true;
      if (byte === NEWLINE) this.lineNo++;
      this.pos++;
    }
    return false;
  }

  private advanceTo(index: number): void {
    const buf = this.buf;
    if (index - this.pos <= SHORT_RECORD) {
      // A byte loop over a short record costs less than the view a native search needs.
      for (let i = this.pos; i < index; i++) if (buf[i] === NEWLINE) this.lineNo++;
    } else {
      const consumed = buf.subarray(this.pos, index);
      for (let i = consumed.indexOf(NEWLINE); i !== -1; i = consumed.indexOf(NEWLINE, i + 1)) this.lineNo++;
    }
    this.pos = index;
  }

  private async more(): Promise<boolean> {
    if (this.ended) return false;
    const next = await this.it.next();
    if (next.done) {
      this.ended = true;
      return false;
    }
    const chunk = typeof next.value === 'string' ? Buffer.from(next.value, 'utf8') : next.value;
    this.onBytes?.(chunk.length);
    this.consumedBefore += this.pos;
    const rest = this.buf.subarray(this.pos);
    this.buf = rest.length === 0 ? chunk : Buffer.concat([rest, chunk]);
    this.ascii = isAscii(chunk) && (rest.length === 0 || isAscii(rest));
    this.text = undefined;
    this.pos = 0;
    return true;
  }
}

/**
 * The record as read, or, when it went over the cap (bytes already drained, or too long as it stands),
 * its first PREVIEW_BYTES flagged with its full length.
 */
function capped(
  record: ByteRecord,
  drained: number,
  preview: Buffer | undefined,
  maxBytes: number,
): ByteRecord {
  const total = drained + record.bytes.length;
  if (!preview && total <= maxBytes) return record;
  return {
    ...record,
    bytes: preview ?? Buffer.from(record.bytes.subarray(0, PREVIEW_BYTES)),
    oversizeBytes: total,
  };
}
