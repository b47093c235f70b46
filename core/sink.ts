import type { JetStreamClient, JetStreamManager, JsMsg } from '@nats-io/jetstream';
import { BatchWriter } from './batch-writer.ts';
import type { Store } from './clickhouse.ts';
import { ack, consumeDurable, type Outcome, type Running } from './consume.ts';
import type { Logger } from './logger.ts';
import { ensureDurable } from './nats.ts';

/**
 * Stream → ClickHouse: each message becomes a row, written in batches; the message is acked only
 * after its batch is stored. A message that cannot become a row is terminated with its reason.
 */
export function startSink<Row extends object>(opts: {
  js: JetStreamClient;
  stream: string;
  durable: string;
  writer: BatchWriter<Row>;
  toRow: (msg: JsMsg) => Row;
  logger: Logger;
  onStored?: (row: Row) => void;
}): Promise<Running> {
  return consumeDurable(
    opts.js,
    opts.stream,
    opts.durable,
    async (msg): Promise<Outcome> => {
      const row = opts.toRow(msg);
      await opts.writer.write([row]);
      opts.onStored?.(row);
      return ack;
    },
    opts.logger,
  );
}

/**
 * One stream (or filtered part of it) into one ClickHouse table: declares the durable consumer, batches
 * the rows, and on stop drains the consumer before flushing the last batch.
 */
export async function startTableSink<Row extends object>(opts: {
  js: JetStreamClient;
  jsm: JetStreamManager;
  store: Store;
  stream: string;
  durable: string;
  filter?: string;
  table: string;
  toRow: (msg: JsMsg) => Row;
  batch: { maxRows: number; intervalMs: number };
  logger: Logger;
}): Promise<Running> {
  await ensureDurable(opts.jsm, opts.stream, opts.durable, opts.filter ? { filter: opts.filter } : {});
  const writer = new BatchWriter<Row>(opts.store, opts.store.table(opts.table), opts.batch);
  const running = await startSink<Row>({ ...opts, writer });
  return {
    done: running.done,
    async stop() {
      await running.stop();
      await writer.close();
    },
  };
}
