import type { JetStreamClient, JetStreamManager, JsMsg } from '@nats-io/jetstream';
import {
  BatchWriter,
  type Config,
  chTime,
  ensureDurable,
  type Logger,
  type Running,
  type Store,
  type StreamNames,
  startSink,
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
    const durable = deps.names.consumer(spec.role);
    await ensureDurable(deps.jsm, dn.stream, durable, { filter: spec.filter });
    const writer = new BatchWriter<object>(deps.store, deps.store.table(spec.table), opts);
    const r = await startSink<object>({
      js: deps.js,
      stream: dn.stream,
      durable,
      writer,
      toRow: spec.toRow,
      logger: deps.logger,
    });
    running.push({
      done: r.done,
      async stop() {
        await r.stop();
        await writer.close();
      },
    });
  }
  return running;
}
