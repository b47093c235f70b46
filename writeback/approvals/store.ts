import type { KV } from '@nats-io/kv';
import { IndexedKv } from '../pipeline/indexed-kv.ts';
import type { JsonKv } from '../pipeline/json-kv.ts';
import { type Approval, type ApprovalStatus, approvalKey, approvalSchema } from './approval.ts';

export interface ApprovalQuery {
  readonly status?: ApprovalStatus;
  readonly exceptionId?: string;
  readonly customerId?: string;
  /** Only those this predicate accepts (e.g. "I can act on it", "I acted on it"). */
  readonly where?: (a: Approval) => boolean;
  readonly limit: number;
  readonly offset: number;
}

/** Approvals in NATS KV (compare-and-set per transition) with the watched in-memory index for reads. */
export class ApprovalStore {
  private readonly indexed: IndexedKv<Approval>;

  /** Approval ids by exception id (every approval the index has seen). */
  private readonly byException = new Map<string, Set<string>>();

  constructor(kv: KV) {
    this.indexed = new IndexedKv(
      kv,
      approvalSchema,
      'approval',
      (a) => a.id,
      (a) => a.updatedAt,
    );
    this.indexed.onChange((a) => {
      const ids = this.byException.get(a.exceptionId) ?? new Set<string>();
      ids.add(a.id);
      this.byException.set(a.exceptionId, ids);
    });
  }

  get kv(): JsonKv<Approval> {
    return this.indexed.kv;
  }

  async start(): Promise<this> {
    await this.indexed.start();
    return this;
  }

  stop(): void {
    this.indexed.stop();
  }

  /** Called with every approval state the index takes in (the live inbox). */
  onChange(listener: (a: Approval) => void): () => void {
    return this.indexed.onChange(listener);
  }

  async get(id: string): Promise<{ value: Approval; revision: number } | undefined> {
    return this.kv.get(approvalKey(id));
  }

  async create(a: Approval): Promise<boolean> {
    const rev = await this.kv.create(approvalKey(a.id), a);
    if (rev !== undefined) this.indexed.remember(a);
    return rev !== undefined;
  }

  /** One compare-and-set: false when the record moved since `revision` (someone else decided first). */
  async update(next: Approval, revision: number): Promise<boolean> {
    const rev = await this.kv.update(approvalKey(next.id), next, revision);
    if (rev !== undefined) this.indexed.remember(next);
    return rev !== undefined;
  }

  /** Approval ids of one exception (all triggers), from KV itself (not the index). */
  async idsOf(exceptionHash: string): Promise<string[]> {
    const ids: string[] = [];
    for await (const k of await this.kv.kv.keys(`${exceptionHash}.>`)) {
      const [h, n] = k.split('.');
      ids.push(`ap-${h}-${n}`);
    }
    return ids;
  }

  /**
   * Approval ids of one exception, from the watched index (a KV key listing is a consumer per call): the
   * policy's approval of an exception is created by its partition's dispatcher, which recorded it here, and
   * a manual trigger from another process reaches the index through the watch within milliseconds.
   */
  idsFor(exceptionId: string): string[] {
    return [...(this.byException.get(exceptionId) ?? [])];
  }

  cached(id: string): Approval | undefined {
    return this.indexed.cached(id);
  }

  pending(): Approval[] {
    return this.indexed.values().filter((a) => a.status === 'pending');
  }

  /** Pending first by deadline (soonest first), then newest first. */
  list(q: ApprovalQuery): { items: Approval[]; total: number } {
    const all = this.indexed
      .values()
      .filter(
        (a) =>
          (!q.status || a.status === q.status) &&
          (!q.exceptionId || a.exceptionId === q.exceptionId) &&
          (!q.customerId || a.customerId === q.customerId) &&
          (!q.where || q.where(a)),
      );
    all.sort((a, b) => {
      const da = a.status === 'pending' ? (a.steps[a.current]?.deadline ?? '') : '';
      const db = b.status === 'pending' ? (b.steps[b.current]?.deadline ?? '') : '';
      if (da && db && da !== db) return da < db ? -1 : 1;
      if (da !== db) return da ? -1 : 1;
      return a.updatedAt < b.updatedAt ? 1 : a.updatedAt > b.updatedAt ? -1 : 0;
    });
    return { items: all.slice(q.offset, q.offset + q.limit), total: all.length };
  }
}
