import type { JetStreamClient, JetStreamManager, JsMsg } from '@nats-io/jetstream';
import {
  ack,
  BatchWriter,
  type Config,
  chTime,
  consumeDurable,
  type DeadLetters,
  deadLetterSchema,
  ensureDurable,
  envelopeSchema,
  findingsOf,
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

/** A row of ClickHouse `quality_findings`: one per (event, finding code). */
export interface FindingRow {
  event_id: string;
  source: string;
  code: string;
  field: string;
  value: string;
  reason: string;
  occurred_at: string;
  received_at: string;
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

/** The event's row and its findings' rows (core/event-findings.ts), with the same times. */
export function eventRows(msg: JsMsg): { event: EventRow; findings: FindingRow[] } {
  const payload = msg.string();
  const e = envelopeSchema.parse(JSON.parse(payload));
  const event: EventRow = {
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
  const findings = findingsOf(e).map(
    (f): FindingRow => ({
      event_id: event.id,
      source: event.source,
      code: f.code,
      field: f.field,
      value: f.value,
      reason: f.reason,
      occurred_at: event.occurred_at,
      received_at: event.received_at,
    }),
  );
  return { event, findings };
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

type SinkDeps = {
  js: JetStreamClient;
  jsm: JetStreamManager;
  names: StreamNames;
  store: Store;
  config: Pick<Config, 'flushRows' | 'flushIntervalMs' | 'delivery'>;
  logger: Logger;
  deadLetters: DeadLetters;
};

/**
 * The events stream into `events` and `quality_findings` through one durable consumer: a message is acked
 * once its event row and its finding rows are both stored. Each table has its own batches, each with an
 * insert dedup token from the stream positions it covers (core/batch-writer.ts), so a retried or
 * redelivered batch is dropped by ClickHouse or collapsed by the tables' keys, as for events alone. One
 * consumer rather than a second one on the same stream: every event is read and parsed once, and a finding
 * can never be stored for an event that is not (or the reverse) once the message is acked.
 */
async function startEventsSink(deps: SinkDeps): Promise<Running> {
  const stream = deps.names.eventsStream;
  const durable = deps.names.consumer('events_sink');
  const batch = { maxRows: deps.config.flushRows, intervalMs: deps.config.flushIntervalMs };
  await ensureDurable(deps.jsm, stream, durable, {});
  const events = new BatchWriter<EventRow>(deps.store, deps.store.table('events'), batch);
  const findings = new BatchWriter<FindingRow>(deps.store, deps.store.table('quality_findings'), batch);
  const running = await consumeDurable(deps, stream, durable, async (msg) => {
    const rows = eventRows(msg);
    const position = `${stream}#${msg.seq}`;
    // A message without findings adds nothing to (and waits for nothing in) the findings batch.
    await Promise.all([events.write([rows.event], position), findings.write(rows.findings, position)]);
    return ack;
  });
  return {
    done: running.done,
    async stop() {
      await running.stop();
      await Promise.all([events.close(), findings.close()]);
    },
  };
}

/** Events (with their findings) and dead letters from JetStream into ClickHouse, acked after each batch is stored. */
export async function startIngestSinks(deps: SinkDeps): Promise<Running[]> {
  const { names } = deps;
  const batch = { maxRows: deps.config.flushRows, intervalMs: deps.config.flushIntervalMs };
  return [
    await startEventsSink(deps),
    await startTableSink<DeadLetterRow>({
      ...deps,
      stream: names.deadLetterStream,
      durable: names.consumer('dlq_sink'),
      table: 'dead_letters',
      toRow: deadLetterRow,
      batch,
    }),
  ];
}
