import type { JetStreamClient, JetStreamManager, JsMsg } from '@nats-io/jetstream';
import {
  type Config,
  chTime,
  type DeadLetters,
  deadLetterSchema,
  envelopeSchema,
  type Logger,
  type Running,
  type Store,
  type StreamNames,
  startTableSink,
} from '../core/mod.ts';

/** A row of ClickHouse `events`, as the events sink writes it. */
export interface EventRow {
  id: string;
  type: string;
  occurred_at: string;
  received_at: string;
  source: string;
  shipment_id: string;
  warehouse_id: string;
  customer_id: string;
  lane: string;
  late: number;
  payload: string;
}

interface DeadLetterRow {
  id: string;
  received_at: string;
  source: string;
  subject: string;
  code: string;
  reason: string;
  raw: string;
}

const str = (o: Record<string, unknown>, k: string) => (typeof o[k] === 'string' ? (o[k] as string) : '');

function eventRow(msg: JsMsg): EventRow {
  const payload = msg.string();
  const e = envelopeSchema.parse(JSON.parse(payload));
  return {
    id: e.id,
    type: e.type,
    occurred_at: chTime(Date.parse(e.occurredAt)),
    // Arrival is when the stream stored the message (the events stream is where an event is received).
    received_at: chTime(msg.info.timestampNanos / 1e6),
    source: e.source ?? '',
    shipment_id: str(e, 'shipmentId'),
    warehouse_id: str(e, 'warehouseId'),
    customer_id: str(e, 'customerId'),
    lane: str(e, 'lane'),
    late: 0,
    payload,
  };
}

function deadLetterRow(msg: JsMsg): DeadLetterRow {
  const d = deadLetterSchema.parse(msg.json());
  return {
    id: d.id,
    received_at: chTime(Date.parse(d.receivedAt)),
    source: d.source,
    subject: d.position ?? '',
    code: d.code,
    reason: d.reason,
    raw: d.raw,
  };
}

/** Events and dead letters from JetStream into ClickHouse, acked after each batch is stored. */
export async function startIngestSinks(deps: {
  js: JetStreamClient;
  jsm: JetStreamManager;
  names: StreamNames;
  store: Store;
  config: Pick<Config, 'flushRows' | 'flushIntervalMs' | 'delivery'>;
  logger: Logger;
  deadLetters: DeadLetters;
}): Promise<Running[]> {
  const { names } = deps;
  const opts = { maxRows: deps.config.flushRows, intervalMs: deps.config.flushIntervalMs };
  const specs = [
    { stream: names.eventsStream, role: 'events_sink', table: 'events', toRow: eventRow },
    { stream: names.deadLetterStream, role: 'dlq_sink', table: 'dead_letters', toRow: deadLetterRow },
  ] as const;
  const running: Running[] = [];
  for (const spec of specs) {
    running.push(
      await startTableSink<object>({
        ...deps,
        stream: spec.stream,
        durable: names.consumer(spec.role),
        table: spec.table,
        toRow: spec.toRow,
        batch: opts,
      }),
    );
  }
  return running;
}
