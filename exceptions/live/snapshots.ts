import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import type { ObjectStore } from '@nats-io/obj';
import { z } from 'zod';
import { RetryableError } from '../../core/mod.ts';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/** The envelope of every stored snapshot: which task, the last stream sequence it covers, when, by whom. */
const envelopeSchema = z.object({
  v: z.literal(1),
  task: z.string(),
  seq: z.number().int().nonnegative(),
  takenAtMs: z.number(),
  worker: z.string(),
  state: z.unknown(),
});

export interface Stored<S> {
  readonly seq: number;
  readonly takenAtMs: number;
  readonly worker: string;
  readonly state: S;
}

export class SnapshotCorruptError extends Error {
  override readonly name = 'SnapshotCorruptError';
}

/**
 * Task snapshots in the NATS object store (chunked, so a million shipments fit; a put replaces the object
 * atomically: readers see the old or the new one, never a mix). Serialized synchronously (the state must
 * match its sequence), compressed off the event loop.
 */
export class SnapshotStore {
  constructor(private readonly os: ObjectStore) {}

  /** Serializes now (consistent with `seq`); the returned promise resolves once stored. */
  serialize(
    task: string,
    seq: number,
    worker: string,
    state: unknown,
  ): { bytes: number; stored: () => Promise<void> } {
    const json = JSON.stringify({ v: 1, task, seq, takenAtMs: Date.now(), worker, state });
    return {
      bytes: json.length,
      stored: async () => {
        try {
          const data = await gzipAsync(Buffer.from(json), { level: 1 });
          await this.os.putBlob(
            { name: task },
            new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
          );
        } catch (cause) {
          throw new RetryableError('SNAPSHOT_WRITE_FAILED', `storing the snapshot of ${task} failed`, {
            cause,
          });
        }
      },
    };
  }

  async get<S>(task: string, schema: z.ZodType<S>): Promise<Stored<S> | undefined> {
    let blob: Uint8Array | null;
    try {
      blob = await this.os.getBlob(task);
    } catch (cause) {
      throw new RetryableError('SNAPSHOT_READ_FAILED', `reading the snapshot of ${task} failed`, { cause });
    }
    if (!blob) return undefined;
    let data: unknown;
    try {
      data = JSON.parse((await gunzipAsync(blob)).toString('utf8'));
    } catch (cause) {
      throw new SnapshotCorruptError(`snapshot of ${task} is not gzipped JSON`, { cause });
    }
    const env = envelopeSchema.safeParse(data);
    if (!env.success || env.data.task !== task) {
      throw new SnapshotCorruptError(`snapshot of ${task} has an invalid envelope`, { cause: env.error });
    }
    const state = schema.safeParse(env.data.state);
    if (!state.success)
      throw new SnapshotCorruptError(`snapshot of ${task} has an invalid state`, { cause: state.error });
    return { seq: env.data.seq, takenAtMs: env.data.takenAtMs, worker: env.data.worker, state: state.data };
  }
}
