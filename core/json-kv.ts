import type { KV } from '@nats-io/kv';
import type { z } from 'zod';
import { DeadLetterError, RetryableError } from './errors.ts';

export interface Versioned<T> {
  readonly value: T;
  readonly revision: number;
}

/**
 * A NATS KV bucket of JSON records validated by a schema. `create` and `update` are compare-and-set: they
 * return undefined when someone else got there first (key exists / revision moved), so callers decide
 * whether to re-read and retry (a system transition) or report a conflict (a person's click).
 */
export class JsonKv<T> {
  constructor(
    readonly kv: KV,
    private readonly schema: z.ZodType<T>,
    private readonly what: string,
  ) {}

  parse(key: string, data: unknown): T {
    const r = this.schema.safeParse(data);
    if (!r.success) {
      throw new DeadLetterError('KV_RECORD_INVALID', `${this.what} ${key} in KV does not match its schema`, {
        cause: r.error,
      });
    }
    return r.data;
  }

  async get(key: string): Promise<Versioned<T> | undefined> {
    const e = await this.kv.get(key);
    if (e?.operation !== 'PUT') return undefined;
    return { value: this.parse(key, e.json()), revision: e.revision };
  }

  async create(key: string, value: T): Promise<number | undefined> {
    try {
      return await this.kv.create(key, JSON.stringify(value));
    } catch (err) {
      if (await this.exists(key)) return undefined;
      throw new RetryableError('KV_WRITE_FAILED', `creating ${this.what} ${key} failed`, { cause: err });
    }
  }

  async update(key: string, value: T, revision: number): Promise<number | undefined> {
    try {
      return await this.kv.update(key, JSON.stringify(value), revision);
    } catch (err) {
      const now = await this.kv.get(key).catch(() => null);
      if (now && now.revision !== revision) return undefined;
      throw new RetryableError('KV_WRITE_FAILED', `updating ${this.what} ${key} failed`, { cause: err });
    }
  }

  async put(key: string, value: T): Promise<number> {
    try {
      return await this.kv.put(key, JSON.stringify(value));
    } catch (err) {
      throw new RetryableError('KV_WRITE_FAILED', `writing ${this.what} ${key} failed`, { cause: err });
    }
  }

  /**
   * Read-modify-write until it sticks: `change` returns the next value or undefined (nothing to do).
   * For system transitions only; a person's transition is one attempt (see JsonKv.update).
   */
  async mutate(
    key: string,
    change: (current: T | undefined) => T | undefined,
    attempts = 20,
  ): Promise<{ value: T; revision: number } | undefined> {
    for (let i = 0; i < attempts; i++) {
      const cur = await this.get(key);
      const next = change(cur?.value);
      if (next === undefined) return undefined;
      const rev = cur ? await this.update(key, next, cur.revision) : await this.create(key, next);
      if (rev !== undefined) return { value: next, revision: rev };
    }
    throw new RetryableError('KV_CONTENDED', `${this.what} ${key} kept changing under ${attempts} attempts`);
  }

  private async exists(key: string): Promise<boolean> {
    const e = await this.kv.get(key).catch(() => null);
    return !!e && e.operation === 'PUT';
  }

  /**
   * Calls `onValue` for every current record, then for every change, until `stop` (an in-memory index that
   * every process keeps current). Resolves once the current records were delivered.
   */
  async watch(onValue: (key: string, value: T | undefined) => void): Promise<{ stop(): void }> {
    const it = await this.kv.watch();
    let initialDone: () => void = () => undefined;
    const initial = new Promise<void>((r) => {
      initialDone = r;
    });
    let pending = (await this.kv.status()).values;
    if (pending === 0) initialDone();
    void (async () => {
      for await (const e of it) {
        try {
          onValue(e.key, e.operation === 'PUT' ? this.parse(e.key, e.json()) : undefined);
        } catch {
          // An invalid record is left out of the index; get() reports it where it is used.
        }
        if (pending > 0 && (--pending === 0 || e.delta === 0)) initialDone();
      }
    })();
    await initial;
    return { stop: () => it.stop() };
  }
}
