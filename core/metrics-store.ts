import { hostname } from 'node:os';
import type { BatchWriter } from './batch-writer.ts';
import { chTime } from './clickhouse.ts';
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';

export interface MetricSampleRow {
  ts: string;
  process: string;
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Flattens the registry into rows (histograms as their _count, _sum and _bucket series). */
export async function sampleMetrics(
  metrics: Metrics,
  atMs: number,
  processId: string,
): Promise<MetricSampleRow[]> {
  const rows: MetricSampleRow[] = [];
  for (const metric of await metrics.registry.getMetricsAsJSON()) {
    for (const v of metric.values) {
      const labels = Object.fromEntries(Object.entries(v.labels ?? {}).map(([k, x]) => [k, String(x)]));
      const name = 'metricName' in v && typeof v.metricName === 'string' ? v.metricName : metric.name;
      rows.push({ ts: chTime(atMs), process: processId, name, labels, value: Number(v.value) });
    }
  }
  return rows;
}

/** Stores a sample of every metric periodically, so KPIs and data-quality counters have history in ClickHouse. */
export function startMetricSampler(deps: {
  metrics: Metrics;
  writer: BatchWriter<MetricSampleRow>;
  intervalMs: number;
  logger: Logger;
}): { stop(): Promise<void> } {
  const processId = `${hostname()}:${process.pid}`;
  const sample = () =>
    sampleMetrics(deps.metrics, Date.now(), processId)
      .then((rows) => deps.writer.write(rows))
      .catch((err: unknown) => deps.logger.warn({ err }, 'storing metric samples failed'));
  const timer = setInterval(() => void sample(), deps.intervalMs);
  return {
    async stop() {
      clearInterval(timer);
      await sample();
      await deps.writer.close();
    },
  };
}
