import { pipeline, Readable } from 'node:stream';
import { setTimeout as sleep, setImmediate as yieldToLoop } from 'node:timers/promises';
import { promisify } from 'node:util';
import { createGzip, gunzip } from 'node:zlib';
import type { ObjectStore } from '@nats-io/obj';
import { z } from 'zod';
import { RetryableError } from '../../core/mod.ts';

const gunzipAsync = promisify(gunzip);

/** The first line of a format-2 snapshot: which task, the last stream sequence it covers, when, by whom. */
const headerSchema = z.object({
  v: z.literal(2),
  task: z.string(),
  seq: z.number().int().nonnegative(),
  takenAtMs: z.number(),
  worker: z.string(),
});

/** Format 1 (still read): one JSON document holding the whole state. */
const envelopeV1Schema = z.object({
  v: z.literal(1),
  task: z.string(),
  seq: z.number().int().nonnegative(),
  takenAtMs: z.number(),
  worker: z.string(),
  state: z.unknown(),
});

interface StoredBase {
  readonly seq: number;
  readonly takenAtMs: number;
  readonly worker: string;
}
/** A snapshot read back: format 1 carries the whole state; format 2 its records (parsed JSON, unvalidated). */
export type Stored =
  | (StoredBase & { readonly format: 1; readonly state: unknown })
  | (StoredBase & { readonly format: 2; readonly records: AsyncIterable<unknown> });

/** A consistent view of a task's state, read out as JSON lines a slice at a time. */
export interface SnapshotSource {
  next(): string | undefined;
  close(): void;
}

export class SnapshotCorruptError extends Error {
  override readonly name = 'SnapshotCorruptError';
}

/** Thrown when a snapshot write is given up on purpose (the task stopped or lost its lease). */
export class SnapshotAbandonedError extends Error {
  override readonly name = 'SnapshotAbandonedError';
}

/** Records parsed between two turns of the event loop on restore: a slice never blocks it for long. */
const LINES_PER_TURN = 2_000;
/** Pause after each slice written, as a multiple of the time the slice took. */
const PACE = 2;

/**
 * Task snapshots in the NATS object store (chunked; a put replaces the object atomically: readers see the
 * old or the new one, never a mix). Written as gzip JSON lines streamed from the task's snapshot source,
 * so neither the whole snapshot text nor the whole compressed object is ever held in memory, and the
 * event loop is never blocked for more than a slice.
 */
export class SnapshotStore {
  /** `stallMs`: a read receiving no chunk for this long fails (a stalled object consumer never ends by itself). */
  constructor(
    private readonly os: ObjectStore,
    private readonly stallMs = 30_000,
  ) {}

  /**
   * Streams the source into the task's object. The object becomes visible only after `ready` resolved
   * (every output of the events the snapshot covers is stored) and `valid()` still holds; otherwise the
   * previous snapshot stays in place.
   */
  async write(
    header: { task: string; seq: number; worker: string; takenAtMs: number },
    source: SnapshotSource,
    ready: Promise<void>,
    valid: () => boolean,
  ): Promise<void> {
    const { task } = header;
    async function* lines(): AsyncGenerator<string> {
      yield `${JSON.stringify({ v: 2, ...header })}\n`;
      let count = 0;
      for (;;) {
        const started = performance.now();
        const text = source.next();
        if (text === undefined) break;
        count += countLines(text);
        yield text;
        // Paced: a snapshot takes at most about a third of the loop, so events keep their latency.
        await sleep(Math.min(50, (performance.now() - started) * PACE));
      }
      await ready;
      if (!valid()) throw new SnapshotAbandonedError(`snapshot of ${task} abandoned`);
      yield `${JSON.stringify(['end', count])}\n`;
    }
    // Swallow `ready`'s rejection until the generator awaits it (it may reject while lines still stream).
    ready.catch(() => undefined);
    const gz = createGzip({ level: 1 });
    // pipeline (not pipe) so a failing source errors the gzip stream, and with it the put.
    pipeline(Readable.from(lines()), gz, () => undefined);
    const stream = Readable.toWeb(gz) as unknown as ReadableStream<Uint8Array>;
    try {
      await this.os.put({ name: task }, stream);
    } catch (cause) {
      if (cause instanceof SnapshotAbandonedError) throw cause;
      throw new RetryableError('SNAPSHOT_WRITE_FAILED', `storing the snapshot of ${task} failed`, {
        cause,
      });
    } finally {
      source.close();
    }
  }

  async get(task: string): Promise<Stored | undefined> {
    let blob: Uint8Array | null;
    try {
      blob = await readObject(this.os, task, this.stallMs);
    } catch (cause) {
      throw new RetryableError('SNAPSHOT_READ_FAILED', `reading the snapshot of ${task} failed`, { cause });
    }
    if (!blob) return undefined;
    let text: Buffer;
    try {
      text = await gunzipAsync(blob);
    } catch (cause) {
      throw new SnapshotCorruptError(`snapshot of ${task} is not gzipped`, { cause });
    }
    const nl = text.indexOf(10);
    const first = parseJson(task, text.toString('utf8', 0, nl < 0 ? text.length : nl));
    const v2 = headerSchema.safeParse(first);
    if (v2.success && v2.data.task === task) {
      const { seq, takenAtMs, worker } = v2.data;
      return { format: 2, seq, takenAtMs, worker, records: records(task, text, nl + 1) };
    }
    const v1 = envelopeV1Schema.safeParse(first);
    if (!v1.success || v1.data.task !== task) {
      throw new SnapshotCorruptError(`snapshot of ${task} has an invalid header`, { cause: v1.error });
    }
    const { seq, takenAtMs, worker, state } = v1.data;
    return { format: 1, seq, takenAtMs, worker, state };
  }
}

/**
 * The records between the header and the trailer, parsed one at a time (yielding to the event loop now
 * and then); throws at the end when the trailer is missing or counts other lines than were read.
 */
async function* records(task: string, text: Buffer, from: number): AsyncGenerator<unknown> {
  let at = from;
  let n = 0;
  let pending: unknown;
  let has = false;
  while (at < text.length) {
    let nl = text.indexOf(10, at);
    if (nl < 0) nl = text.length;
    if (nl > at) {
      // One line behind: the last line is the trailer, not a record.
      if (has) yield pending;
      pending = parseJson(task, text.toString('utf8', at, nl));
      has = true;
      if (++n % LINES_PER_TURN === 0) await yieldToLoop();
    }
    at = nl + 1;
  }
  const trailer = z.tuple([z.literal('end'), z.number()]).safeParse(pending);
  if (!has || !trailer.success || trailer.data[1] !== n - 1) {
    throw new SnapshotCorruptError(`snapshot of ${task} is truncated (no valid trailer)`);
  }
}

/**
 * The object's bytes, like `getBlob`, but failing when no chunk came for `stallMs`: the object store reads
 * through an ordered push consumer that a cluster disruption can leave waiting forever, and a restore
 * hanging there would hold the snapshot gate, and with it every task of the process.
 */
async function readObject(os: ObjectStore, name: string, stallMs: number): Promise<Uint8Array | null> {
  const r = await os.get(name);
  if (!r) return null;
  const reader = r.data.getReader();
  const chunks: Uint8Array[] = [];
  for (;;) {
    let timer: NodeJS.Timeout | undefined;
    const stalled = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no chunk of ${name} for ${stallMs} ms`)), stallMs);
    });
    try {
      const { done, value } = await Promise.race([reader.read(), stalled]);
      if (done) break;
      chunks.push(value);
    } catch (err) {
      reader.cancel().catch(() => undefined);
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }
  const err = await r.error;
  if (err) throw err;
  return Buffer.concat(chunks);
}

function countLines(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

function parseJson(task: string, line: string): unknown {
  try {
    return JSON.parse(line);
  } catch (cause) {
    throw new SnapshotCorruptError(`snapshot of ${task} is not JSON`, { cause });
  }
}
