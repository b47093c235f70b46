import { randomUUID } from 'node:crypto';
import type { JetStreamManager } from '@nats-io/jetstream';
import {
  DocksideError,
  type JetStreamPublisher,
  type Logger,
  type PubAck,
  RetryableError,
} from '../../core/mod.ts';
import { type AuditBlock, parseBlock } from './block.ts';
import { type ChainHead, chainEntries, checkInputs, emptyHead } from './chain.ts';
import type { AuditEntry, EntryInput } from './entry.ts';
import {
  AuditAppendError,
  AuditBlockInvalidError,
  AuditBlockTooLargeError,
  ChainFencedError,
} from './errors.ts';
import type { AuditNames } from './names.ts';

/** A chain head as stored: the last entry, where its block is, and that block's cursor. */
export interface StoredHead extends ChainHead {
  /** Stream seq of the chain's last block (0: no block in the stream). */
  readonly streamSeq: number;
  readonly cursor?: number;
}

export interface AppenderDeps {
  /** The connection's publisher (core publisherFor): acked publishes with expectations. */
  readonly publisher: Pick<JetStreamPublisher, 'publish'>;
  readonly jsm: JetStreamManager;
  readonly names: AuditNames;
  readonly logger?: Logger;
  /** Clock for `at` (epoch ms). */
  readonly now?: () => number;
  /**
   * Where the head comes from when the stream holds no block of the chain although the chain has entries
   * (all its blocks aged out, or the stream was re-created): the last entry in ClickHouse (lastLoggedHead).
   * Without it such a chain would restart at seq 1 and overwrite its own history.
   */
  readonly recoverHead?: (chain: string) => Promise<ChainHead | undefined>;
  /** Largest block message; keep below the server's max_payload (default 1 MiB). */
  readonly maxBlockBytes?: number;
}

export interface AppenderOptions {
  readonly mode: 'shared' | 'exclusive';
  /** Shared mode: how many times a block is rebuilt after losing the head race (default 25). */
  readonly maxAttempts?: number;
  /** Per publish wait for the stream's ack (default 5 s). */
  readonly timeoutMs?: number;
  /** Called on each lost head race (metrics). */
  readonly onConflict?: (chain: string) => void;
}

interface Request {
  readonly inputs: readonly EntryInput[];
  readonly cursor: number | undefined;
  readonly bytes: number;
  readonly resolve: (entries: AuditEntry[]) => void;
  readonly reject: (err: unknown) => void;
}

const DEFAULT_MAX_BLOCK_BYTES = 900 * 1024;
/** Bytes an entry adds beyond its input's JSON: chain, seq, at, two hashes, field names. */
const ENTRY_OVERHEAD = 400;

/**
 * Appends to one chain in JetStream: one message per block on `<prefix>.audit.<chain>`, published with
 * `Nats-Expected-Last-Subject-Sequence` = the stream seq of the chain's previous block (0 for the first,
 * which nats-server accepts only while the subject is empty). A writer with a stale head is refused.
 *
 * Each block has a msg id, fixed across its retries. nats-server (2.9 and later, pinned by
 * test/writeback/audit-appender.test.ts) answers a known msg id as a duplicate BEFORE it checks the
 * expectation, with the seq of the stored copy: so a retry after a lost ack finds its own block (read back
 * from that seq) rather than a conflict, and a block is never stored twice. The id is random per block and
 * never derived from the chain position: two writers building seq 7 must not collide as "duplicates".
 *
 * Modes: `shared` (any process; on a conflict re-read the head, rebuild the hashes, retry with jitter) and
 * `exclusive` (the chain's single owner; a conflict means someone else wrote, ChainFencedError).
 * Appends are serialized per appender; what queues while a block is in flight goes into the next block.
 */
export class ChainAppender {
  readonly subject: string;
  private cached: StoredHead | undefined;
  private queue: Request[] = [];
  private draining = false;
  private fenced: ChainFencedError | undefined;
  private readonly now: () => number;
  private readonly maxBytes: number;

  constructor(
    private readonly deps: AppenderDeps,
    readonly chain: string,
    private readonly opts: AppenderOptions,
  ) {
    this.subject = deps.names.chainSubject(chain);
    this.now = deps.now ?? Date.now;
    this.maxBytes = deps.maxBlockBytes ?? DEFAULT_MAX_BLOCK_BYTES;
  }

  /** The chain head; read from the stream the first time (and, in shared mode, when `refresh`). */
  async head(opts: { refresh?: boolean } = {}): Promise<StoredHead> {
    if (this.fenced) throw this.fenced;
    if (!this.cached || opts.refresh) this.cached = await this.readHead();
    return this.cached;
  }

  /**
   * Appends `inputs` (one block with the others queued meanwhile) and resolves with the stored entries.
   * `cursor` (exclusive mode) is stored in the block; a request and its cursor are never split.
   */
  append(inputs: readonly EntryInput[], opts: { cursor?: number } = {}): Promise<AuditEntry[]> {
    if (this.fenced) return Promise.reject(this.fenced);
    if (opts.cursor !== undefined && this.opts.mode !== 'exclusive') {
      return Promise.reject(new TypeError('a cursor is kept only by an exclusive appender'));
    }
    if (inputs.length === 0 && opts.cursor === undefined) return Promise.resolve([]);
    let bytes: number;
    try {
      // Checked here, not in the block: one caller's bad entry must not fail the others queued with it.
      checkInputs(inputs);
      bytes = inputs.reduce((n, i) => n + inputBytes(i), 64);
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ inputs, cursor: opts.cursor, bytes, resolve, reject });
      if (!this.draining) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.queue.length > 0) {
        const group = this.takeGroup();
        try {
          const stored = await this.store(group);
          let at = 0;
          for (const r of group) {
            r.resolve(stored.slice(at, at + r.inputs.length));
            at += r.inputs.length;
          }
        } catch (err) {
          for (const r of group) r.reject(err);
          if (err instanceof ChainFencedError) {
            for (const r of this.queue.splice(0)) r.reject(err);
          }
        }
      }
    } finally {
      this.draining = false;
    }
  }

  /** Whole requests, in order, while they fit one block (always at least one). */
  private takeGroup(): Request[] {
    const group: Request[] = [];
    let bytes = 0;
    for (const r of this.queue) {
      if (group.length > 0 && bytes + r.bytes > this.maxBytes) break;
      // An exclusive block's cursor covers everything before it: a cursor ends the group.
      group.push(r);
      bytes += r.bytes;
      if (r.cursor !== undefined) break;
    }
    this.queue.splice(0, group.length);
    return group;
  }

  private async store(group: readonly Request[]): Promise<AuditEntry[]> {
    const inputs = group.flatMap((r) => r.inputs);
    const cursor = group.at(-1)?.cursor;
    const bytes = group.reduce((n, r) => n + r.bytes, 0);
    if (bytes <= this.maxBytes) return this.publishBlock(inputs, cursor);
    // One request alone is too big for a block: shared mode splits it (each part its own block);
    // an exclusive block must stay whole, because its cursor says everything before it is logged.
    if (this.opts.mode === 'exclusive') {
      throw new AuditBlockTooLargeError(
        this.chain,
        bytes,
        this.maxBytes,
        `an append of ${inputs.length} entries`,
      );
    }
    const stored: AuditEntry[] = [];
    for (const part of splitBySize(inputs, this.maxBytes, this.chain)) {
      stored.push(...(await this.publishBlock(part, undefined)));
    }
    return stored;
  }

  private async publishBlock(
    inputs: readonly EntryInput[],
    cursor: number | undefined,
  ): Promise<AuditEntry[]> {
    const msgID = `${this.chain}:${randomUUID()}`;
    const maxAttempts = this.opts.maxAttempts ?? 25;
    let built: { head: StoredHead; body: string; entries: AuditEntry[] } | undefined;
    let lastError: unknown;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      const head = await this.head();
      // An exclusive block always says where its owner stands: without a new cursor, the previous one.
      const blockCursor = cursor ?? (this.opts.mode === 'exclusive' ? head.cursor : undefined);
      if (built?.head !== head) {
        const entries = chainEntries(head, this.chain, inputs, this.now());
        const block: AuditBlock = {
          entries,
          ...(blockCursor !== undefined ? { cursor: blockCursor } : {}),
          ...(entries.length === 0 ? { head: { seq: head.seq, hash: head.hash } } : {}),
        };
        built = { head, body: JSON.stringify(block), entries };
      }
      let ack: PubAck;
      try {
        ack = await this.deps.publisher.publish(this.subject, built.body, {
          msgID,
          expect: { lastSubjectSequence: head.streamSeq },
          timeoutMs: this.opts.timeoutMs ?? 5_000,
        });
      } catch (err) {
        lastError = err;
        if (isWrongLastSequence(err)) {
          if (this.opts.mode === 'exclusive') {
            this.fenced = new ChainFencedError(this.chain, head.streamSeq, { cause: err });
            throw this.fenced;
          }
          this.opts.onConflict?.(this.chain);
          this.cached = undefined;
          await jitter(attempt);
          continue;
        }
        if (isRefused(err)) {
          throw new AuditAppendError(this.chain, `the stream refused the block: ${err.message}`, {
            cause: err,
          });
        }
        // No ack (timeout, no responders, reconnect): send the same block again; if it was stored, the
        // msg id says so.
        this.deps.logger?.warn({ chain: this.chain, attempt, err }, 'audit append: no ack, retrying');
        await jitter(attempt);
        continue;
      }
      if (ack.duplicate) return this.adoptStored(ack.seq, blockCursor);
      const last = built.entries.at(-1);
      this.cached = {
        seq: last?.seq ?? head.seq,
        hash: last?.hash ?? head.hash,
        streamSeq: ack.seq,
        ...(blockCursor !== undefined ? { cursor: blockCursor } : {}),
      };
      return built.entries;
    }
    const why = lastError instanceof Error ? lastError.message : String(lastError);
    throw new AuditAppendError(this.chain, `no block stored after ${maxAttempts} attempts (${why})`, {
      cause: lastError,
    });
  }

  /** An earlier attempt of this block was stored (its ack was lost): its entries are the ones that count. */
  private async adoptStored(streamSeq: number, cursor: number | undefined): Promise<AuditEntry[]> {
    const msg = await this.deps.jsm.streams.getMessage(this.deps.names.stream, { seq: streamSeq });
    if (!msg) throw new AuditBlockInvalidError(this.deps.names.stream, streamSeq, 'stored block not found');
    const block = parseBlock(this.deps.names.stream, streamSeq, msg.string(), this.chain);
    if (block.cursor !== cursor) {
      throw new AuditBlockInvalidError(
        this.deps.names.stream,
        streamSeq,
        'the stored copy of this block differs',
      );
    }
    this.cached = headOf(block, streamSeq);
    return block.entries;
  }

  private async readHead(): Promise<StoredHead> {
    let msg: Awaited<ReturnType<JetStreamManager['streams']['getMessage']>>;
    try {
      msg = await this.deps.jsm.streams.getMessage(this.deps.names.stream, { last_by_subj: this.subject });
    } catch (cause) {
      throw new AuditAppendError(this.chain, `cannot read the chain head from ${this.deps.names.stream}`, {
        cause,
      });
    }
    if (!msg) {
      const recovered = await this.deps.recoverHead?.(this.chain);
      return { ...(recovered ?? emptyHead), streamSeq: 0 };
    }
    return headOf(parseBlock(this.deps.names.stream, msg.seq, msg.string(), this.chain), msg.seq);
  }
}

function headOf(block: AuditBlock, streamSeq: number): StoredHead {
  const last = block.entries.at(-1);
  // parseBlock guarantees a block without entries carries its head.
  const tip = last ? { seq: last.seq, hash: last.hash } : (block.head ?? emptyHead);
  return { ...tip, streamSeq, ...(block.cursor !== undefined ? { cursor: block.cursor } : {}) };
}

/** The only expectation the appender sets is the last subject sequence: a failed one is a lost head race. */
function isWrongLastSequence(err: unknown): boolean {
  return err instanceof RetryableError && err.code === 'PUBLISH_EXPECTATION_FAILED';
}

/** The stream answered and said no (or the block is over a size limit): sending it again cannot help. */
function isRefused(err: unknown): err is DocksideError {
  return (
    err instanceof DocksideError &&
    (err.action === 'reject' || (err instanceof RetryableError && err.code === 'PUBLISH_REFUSED'))
  );
}

function inputBytes(input: EntryInput): number {
  return Buffer.byteLength(JSON.stringify(input)) + ENTRY_OVERHEAD;
}

function splitBySize(inputs: readonly EntryInput[], maxBytes: number, chain: string): EntryInput[][] {
  const parts: EntryInput[][] = [];
  let part: EntryInput[] = [];
  let bytes = 64;
  for (const input of inputs) {
    const n = inputBytes(input);
    if (n + 64 > maxBytes) throw new AuditBlockTooLargeError(chain, n, maxBytes, `one ${input.kind} entry`);
    if (part.length > 0 && bytes + n > maxBytes) {
      parts.push(part);
      part = [];
      bytes = 64;
    }
    part.push(input);
    bytes += n;
  }
  if (part.length > 0) parts.push(part);
  return parts;
}

/** Small randomized back-off, growing with the attempt (about 2 ms … 100 ms). */
function jitter(attempt: number): Promise<void> {
  const ms = Math.random() * Math.min(100, 2 * 2 ** Math.min(attempt, 6));
  return new Promise((resolve) => setTimeout(resolve, ms));
}
