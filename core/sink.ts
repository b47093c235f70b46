import type { JetStreamManager, JsMsg } from '@nats-io/jetstream';
import { BatchWriter } from './batch-writer.ts';
import type { Store } from './clickhouse.ts';
import { ack, type ConsumeDeps, consumeDurable, type Outcome, type Running } from './consume.ts';
import { ensureDurable } from './nats.ts';

/**
 * A message becomes one row (`toRow`) or several (`toRows`, e.g. a block of log entries); a row may need a
 * lookup first (the exception sink completes a detector's resolution with who it was assigned to).
 */
export type ToRows<Row> =
  | { toRow: (msg: JsMsg) => Row | Promise<Row> }
  | { toRows: (msg: JsMsg) => Row[] | Promise<Row[]> };

/**
 * Stream → ClickHouse: each message becomes rows, written in batches; the message is acked only
 * after its batch is stored. A message that cannot become rows is dead-lettered with its reason (see consume.ts).
 */
export function startSink<Row extends object>(
  opts: ConsumeDeps & {
    stream: string;
    durable: string;
    writer: BatchWriter<Row>;
    onStored?: (row: Row) => void;
  } & ToRows<Row>,
): Promise<Running> {
  const rowsOf = 'toRows' in opts ? opts.toRows : async (msg: JsMsg) => [await opts.toRow(msg)];
  return consumeDurable(opts, opts.stream, opts.durable, async (msg): Promise<Outcome> => {
    const rows = await rowsOf(msg);
    await opts.writer.write(rows, `${opts.stream}#${msg.seq}`);
    if (opts.onStored) for (const row of rows) opts.onStored(row);
    return ack;
  });
}

/**
 * One stream (or filtered part of it) into one ClickHouse table: declares the durable consumer, batches
 * the rows, and on stop drains the consumer before flushing the last batch.
 */
export async function startTableSink<Row extends object>(
  opts: ConsumeDeps & {
    jsm: JetStreamManager;
    store: Store;
    stream: string;
    durable: string;
    filter?: string;
    table: string;
    batch: { maxRows: number; intervalMs: number };
  } & ToRows<Row>,
): Promise<Running> {
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
