import { createHash } from 'node:crypto';
import type { Store } from './clickhouse.ts';
import { RetryableError } from './errors.ts';

interface Pending<Row> {
  rows: Row[];
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Buffers rows and inserts them in batches (by size or interval). `write` resolves only once the rows
 * are durably stored, so a consumer can ack its messages after that and never before.
 * Each batch carries an insert_deduplication_token hashed from its rows, so a retried batch is not applied twice.
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

  write(rows: Row[]): Promise<void> {
    if (this.closed)
      return Promise.reject(new RetryableError('WRITER_CLOSED', `writer for ${this.table} is closed`));
    if (rows.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.queue.push({ rows, resolve, reject });
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
        clickhouse_settings: { insert_deduplication_token: dedupeToken(values) },
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

function dedupeToken(rows: readonly object[]): string {
  const h = createHash('sha1');
  for (const r of rows) h.update(JSON.stringify(r)).update('\n');
  return `${rows.length}-${h.digest('hex')}`;
}
