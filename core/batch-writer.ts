import { createHash } from 'node:crypto';
import type { Store } from './clickhouse.ts';
import { RetryableError } from './errors.ts';

interface Pending<Row> {
  rows: Row[];
  /** Where the rows came from (`<stream>#<seq>`), when they came from a stream message. */
  position: string | undefined;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Buffers rows and inserts them in batches (by size or interval). `write` resolves only once the rows
 * are durably stored, so a consumer can ack its messages after that and never before.
 *
 * Each batch carries an insert_deduplication_token derived from the stream positions of the messages it
 * covers (sorted, so arrival order does not matter), not from its rows: rows may carry a storage time, so
 * the same messages can make different rows. A batch of the same messages inserted again (an insert
 * retried after a lost answer, a redelivery of the same unacked batch) is dropped by ClickHouse before any
 * merge. A redelivered message that lands in a batch of different messages gets a different token: the
 * tables' ReplacingMergeTree keys (deterministic ids) collapse that copy at merge, and FINAL reads see one.
 */
export class BatchWriter<Row extends object> {
  private queue: Pending<Row>[] = [];
  private queued = 0;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly store: Store,
    private readonly table: string,
    private readonly opts: { maxRows: number; intervalMs: number },
  ) {}

  /** Queues the rows of one message (at `position`, e.g. `EVENTS#42`) or, without one, of a local source. */
  write(rows: Row[], position?: string): Promise<void> {
    if (this.closed)
      return Promise.reject(new RetryableError('WRITER_CLOSED', `writer for ${this.table} is closed`));
    if (rows.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.queue.push({ rows, position, resolve, reject });
      this.queued += rows.length;
      if (this.queued >= this.opts.maxRows) void this.flush();
      else this.timer ??= setTimeout(() => void this.flush(), this.opts.intervalMs);
    });
  }

  /** Inserts everything queued so far; resolves when it is stored. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.queue;
    this.queue = [];
    this.queued = 0;
    if (batch.length === 0) return this.flushing;
    this.flushing = this.flushing.then(() => this.insert(batch));
    return this.flushing;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
  }

  private async insert(batch: Pending<Row>[]): Promise<void> {
    const values = batch.flatMap((p) => p.rows);
    try {
      await this.store.client.insert({
        table: this.table,
        values,
        format: 'JSONEachRow',
        clickhouse_settings: { insert_deduplication_token: dedupeToken(batch) },
      });
      for (const p of batch) p.resolve();
    } catch (cause) {
      const err = new RetryableError('CLICKHOUSE_INSERT_FAILED', `insert into ${this.table} failed`, {
        cause,
      });
      for (const p of batch) p.reject(err);
    }
  }
}

/**
 * From the sorted positions the batch covers; rows without a position (a local source such as the metric
 * sampler) add one hash of their content, in order, as before positions existed.
 */
export function dedupeToken(
  batch: readonly { rows: readonly object[]; position: string | undefined }[],
): string {
  const keys = batch.flatMap((p) => (p.position === undefined ? [] : [p.position])).sort();
  const local = batch.filter((p) => p.position === undefined);
  if (local.length > 0) {
    const h = createHash('sha1');
    for (const p of local) for (const r of p.rows) h.update(JSON.stringify(r)).update('\n');
    keys.push(`rows:${h.digest('hex')}`);
  }
  const h = createHash('sha1');
  for (const k of keys) h.update(k).update('\n');
  return `${keys.length}-${h.digest('hex')}`;
}
