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

export const PREVIEW_BYTES = 512;
const NEWLINE = 0x0a;

export class ByteReader {
  private buf: Buffer = Buffer.alloc(0);
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
        const total = drained + bytes.length;
        if (preview || total > maxBytes) {
          return {
            bytes: preview ?? Buffer.from(bytes.subarray(0, PREVIEW_BYTES)),
            line,
            offset,
            oversizeBytes: total,
            terminated: true,
          };
        }
        return { bytes, line, offset, terminated: true };
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
        const total = drained + bytes.length;
        if (preview || total > maxBytes) {
          return {
            bytes: preview ?? Buffer.from(bytes.subarray(0, PREVIEW_BYTES)),
            line,
            offset,
            oversizeBytes: total,
            terminated: false,
          };
        }
        return { bytes, line, offset, terminated: false };
      }
      // more() re-bases the buffer at the unread bytes: skip what was already scanned.
      scanFrom = this.pos + scanned;
    }
  }

  private advanceTo(index: number): void {
    for (let i = this.pos; i < index; i++) if (this.buf[i] === NEWLINE) this.lineNo++;
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
    this.buf = this.pos === this.buf.length ? chunk : Buffer.concat([this.buf.subarray(this.pos), chunk]);
    this.pos = 0;
    return true;
  }
}
