import type { JetStreamClient, JetStreamManager, JsMsg } from '@nats-io/jetstream';
import {
  type Config,
  chTime,
  type DeadLetters,
  type Logger,
  type Running,
  type Store,
  type StreamNames,
  startTableSink,
} from '../../core/mod.ts';
import { lateNoticeSchema, metricSampleSchema } from './messages.ts';
import { detectorNames } from './names.ts';
import { ensureDetectorResources } from './resources.ts';

const t = (iso: string) => chTime(Date.parse(iso));

function lateRow(msg: JsMsg) {
  const n = lateNoticeSchema.parse(msg.json());
  return {
    event_id: n.eventId,
    type: n.type,
    source: n.source,
    partition: n.partition,
    stream_seq: n.streamSeq,
    occurred_at: t(n.occurredAt),
    watermark_at: t(n.watermarkAt),
    arrived_at: t(n.arrivedAt),
    subject: n.subject,
  };
}

function metricRow(msg: JsMsg) {
  const m = metricSampleSchema.parse(msg.json());
  return {
    at: t(m.at),
    worker: m.worker,
    task: m.task,
    events: m.events,
    emissions: m.emissions,
    late: m.late,
    subjects: m.subjects,
    timers: m.timers,
    watermark_lag_s: m.watermarkLagSeconds,
    latency_p50_ms: m.latencyP50Ms,
    latency_p99_ms: m.latencyP99Ms,
    absence_lag_p99_ms: m.absenceLagP99Ms,
    sources: JSON.stringify(m.sources),
  };
}

/** Late events and detector metric samples from the detector stream into ClickHouse (acked once stored). */
export async function startDetectorSinks(deps: {
  js: JetStreamClient;
  jsm: JetStreamManager;
  names: StreamNames;
  store: Store;
  config: Config;
  logger: Logger;
  deadLetters: DeadLetters;
}): Promise<Running[]> {
  const dn = detectorNames(deps.config.prefix, deps.names);
  await ensureDetectorResources(deps.js, deps.jsm, dn, deps.config);
  const opts = { maxRows: deps.config.flushRows, intervalMs: deps.config.flushIntervalMs };
  const specs = [
    { role: 'late_events_sink', filter: dn.lateSubject, table: 'late_events', toRow: lateRow },
    { role: 'detector_metrics_sink', filter: dn.metricsSubject, table: 'detector_metrics', toRow: metricRow },
  ];
  const running: Running[] = [];
  for (const spec of specs) {
    running.push(
      await startTableSink<object>({
        ...deps,
        stream: dn.stream,
        durable: deps.names.consumer(spec.role),
        filter: spec.filter,
        table: spec.table,
        toRow: spec.toRow,
        batch: opts,
      }),
    );
  }
  return running;
}
