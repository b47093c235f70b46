import type { JetStreamClient } from '@nats-io/jetstream';
import {
  type DetectedException,
  ensureKv,
  JsonKv,
  RetryableError,
  type SpecConfig,
  type StreamNames,
} from '../core/mod.ts';
import {
  currentState,
  type LifecycleRecord,
  lifecycleRecordSchema,
  type Transition,
  transitionOf,
} from './lifecycle.ts';

/** KV keys allow `[-/_=.A-Za-z0-9]`: exception ids (`type:hex`, or anything a caller sends) are encoded. */
const keyOf = (id: string) => Buffer.from(id, 'utf8').toString('base64url');

/**
 * The latest lifecycle state of each exception a person changed, and its history, in a NATS KV bucket
 * (one key per exception id). Transitions are compare-and-set on the key's revision, so of two concurrent
 * changes exactly one is written; the other re-reads and fails its expected-version check. ClickHouse
 * receives each state through the exceptions stream and lags; reads for a transition come from here.
 */
export class LifecycleStore {
  private kv: Promise<JsonKv<LifecycleRecord>> | undefined;

  constructor(
    private readonly js: JetStreamClient,
    private readonly bucket: string,
    /** Where the bucket's replicas and placement come from (core/stream-specs.ts, like every bucket's). */
    private readonly spec: SpecConfig,
  ) {}

  static bucketName(names: StreamNames): string {
    return names.kvBucket('exception_lifecycle');
  }

  private open(): Promise<JsonKv<LifecycleRecord>> {
    // History 1 (kvSpec's default): the record carries its own history.
    this.kv ??= this.js
      .jetstreamManager()
      .then((jsm) => ensureKv(this.js, jsm, this.spec, this.bucket))
      .then((kv) => new JsonKv(kv, lifecycleRecordSchema, 'exception lifecycle'))
      .catch((cause: unknown) => {
        this.kv = undefined;
        throw new RetryableError('KV_OPEN_FAILED', `opening KV bucket ${this.bucket} failed`, { cause });
      });
    return this.kv;
  }

  async record(id: string): Promise<LifecycleRecord | undefined> {
    return (await (await this.open()).get(keyOf(id)))?.value;
  }

  /**
   * Applies `change` to the latest state (stored copy merged with the record) and writes the result if no
   * one wrote in between; if someone did, `change` runs again on their state (and its version check
   * refuses). Returns the new state; undefined when neither the store nor the record knows the id.
   */
  async transition(
    id: string,
    stored: () => Promise<DetectedException | undefined>,
    change: (current: DetectedException) => DetectedException,
    by: string,
    atMs: number,
  ): Promise<DetectedException | undefined> {
    const kv = await this.open();
    const key = keyOf(id);
    for (let attempt = 0; attempt < 10; attempt++) {
      const entry = await kv.get(key);
      const current = currentState(await stored(), entry?.value);
      if (!current) return undefined;
      const next = change(current);
      const history: Transition[] = [...(entry?.value.history ?? []), transitionOf(next, by, atMs)];
      const value: LifecycleRecord = { state: next, history };
      const written = entry ? await kv.update(key, value, entry.revision) : await kv.create(key, value);
      if (written !== undefined) return next;
    }
    throw new RetryableError('KV_CONTENDED', `exception ${id} kept changing; try again`);
  }
}
