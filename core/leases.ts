import type { KV } from '@nats-io/kv';
import type { Logger } from './logger.ts';

/**
 * Partition ownership through NATS KV, no home-made coordination: a lease is the key `p.<n>` holding the
 * owner's id. It is taken with `create` (succeeds only if the key is absent) and renewed with `update`
 * against the revision we last wrote (fails if anyone else wrote it); the bucket's max age is the lease TTL,
 * so the lease of a worker that stopped renewing disappears and another worker's `create` succeeds.
 * Workers announce themselves under `w.<id>` (same TTL); each aims at ceil(partitions / workers) and hands
 * back the excess, so a process joining a run gets its share and a dead one's share moves within the TTL.
 */
export interface LeaseChanges {
  readonly acquired: number[];
  readonly lost: number[];
  /** Held beyond the fair share: the caller stops the tasks gracefully, then calls release(). */
  readonly surplus: number[];
}

export class LeaseManager {
  private readonly held = new Map<number, number>();

  constructor(
    private readonly kv: KV,
    readonly workerId: string,
    private readonly partitions: number,
    private readonly logger: Logger,
  ) {}

  owned(): number[] {
    return [...this.held.keys()].sort((a, b) => a - b);
  }

  owns(p: number): boolean {
    return this.held.has(p);
  }

  async tick(): Promise<LeaseChanges> {
    await this.kv.put(`w.${this.workerId}`, String(Date.now()));
    let members = 0;
    for await (const _ of await this.kv.keys('w.*')) members++;
    const lost: number[] = [];
    for (const [p, rev] of this.held) {
      try {
        this.held.set(p, await this.kv.update(`p.${p}`, this.workerId, rev));
      } catch (err) {
        this.held.delete(p);
        lost.push(p);
        this.logger.warn({ err, partition: p, worker: this.workerId }, 'partition lease lost');
      }
    }
    const fair = Math.ceil(this.partitions / Math.max(1, members));
    const acquired: number[] = [];
    const offset = hash(this.workerId) % this.partitions;
    for (let k = 0; k < this.partitions && this.held.size < fair; k++) {
      const p = (offset + k) % this.partitions;
      if (this.held.has(p)) continue;
      const rev = await this.tryAcquire(p);
      if (rev !== undefined) {
        this.held.set(p, rev);
        acquired.push(p);
      }
    }
    const surplus = this.held.size > fair ? this.owned().slice(fair) : [];
    return { acquired, lost, surplus };
  }

  private async tryAcquire(p: number): Promise<number | undefined> {
    const key = `p.${p}`;
    try {
      return await this.kv.create(key, this.workerId);
    } catch {
      // Held — by our own previous incarnation (same worker id after a restart)? Then take it back now.
      const e = await this.kv.get(key);
      if (e && e.operation === 'PUT' && e.string() === this.workerId) {
        try {
          return await this.kv.update(key, this.workerId, e.revision);
        } catch {
          return undefined;
        }
      }
      return undefined;
    }
  }

  async release(p: number): Promise<void> {
    const rev = this.held.get(p);
    this.held.delete(p);
    if (rev === undefined) return;
    await this.kv.delete(`p.${p}`, { previousSeq: rev }).catch(() => undefined);
  }

  async releaseAll(): Promise<void> {
    for (const p of this.owned()) await this.release(p);
    await this.kv.delete(`w.${this.workerId}`).catch(() => undefined);
  }
}

function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
