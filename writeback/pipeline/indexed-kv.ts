import type { KV } from '@nats-io/kv';
import type { z } from 'zod';
import { JsonKv } from './json-kv.ts';

/**
 * A JsonKv plus an in-memory index that every process keeps current with a KV watch: lists and sweeps read
 * the index; transitions are compare-and-set on the KV record. `newer` decides which of two states wins
 * when the watch delivers an older one after a local write.
 */
export class IndexedKv<T> {
  readonly kv: JsonKv<T>;
  private readonly index = new Map<string, T>();
  private watcher: { stop(): void } | undefined;
  private readonly listeners = new Set<(value: T) => void>();

  constructor(
    kv: KV,
    schema: z.ZodType<T>,
    what: string,
    private readonly idOf: (value: T) => string,
    private readonly stamp: (value: T) => string,
  ) {
    this.kv = new JsonKv(kv, schema, what);
  }

  async start(): Promise<this> {
    this.watcher = await this.kv.watch((_key, value) => {
      if (value) this.remember(value);
    });
    return this;
  }

  stop(): void {
    this.watcher?.stop();
  }

  /** Called with every state the index takes in (live screens). */
  onChange(listener: (value: T) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  remember(value: T): void {
    const id = this.idOf(value);
    const prev = this.index.get(id);
    if (prev && this.stamp(prev) > this.stamp(value)) return;
    this.index.set(id, value);
    for (const l of this.listeners) l(value);
  }

  cached(id: string): T | undefined {
    return this.index.get(id);
  }

  values(): T[] {
    return [...this.index.values()];
  }
}
