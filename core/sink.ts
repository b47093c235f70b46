import type { JetStreamClient, JsMsg } from '@nats-io/jetstream';
import type { BatchWriter } from './batch-writer.ts';
import { ack, consumeDurable, type Outcome, type Running } from './consume.ts';
import type { Logger } from './logger.ts';

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
