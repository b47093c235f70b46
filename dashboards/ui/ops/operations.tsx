import { useApi } from '../shared/poll.ts';
import './ops.css';
import { Connections, Consumers, DeadLetters, Forecast, Partitions, Summary, Writeback } from './panels.tsx';
import { Quality } from './quality.tsx';
import { StatusBadge, time } from './status.tsx';
import type { OpsAnswer } from './types.ts';

/** How often the page asks GET /api/ops again. */
export const OPS_REFRESH_MS = 10_000;

/**
 * The operations page (platform engineers): NATS and ClickHouse health, consumer lag, dead letters,
 * partition owners, the last forecast run and the write-back outbox, each with a red/amber/green verdict
 * in words; refreshed every 10 s. Below them, data quality: feeds, findings and the alert budget (30 s).
 */
export function Operations() {
  const { data, error } = useApi<OpsAnswer>('/api/ops', OPS_REFRESH_MS);
  return (
    <section aria-labelledby="ops-title" class="ops" data-updated={data?.at}>
      <div class="ops-head">
        <h1 id="ops-title">Operations</h1>
        {data ? (
          <p class="ops-overall">
            Overall <StatusBadge status={data.status} />
            <span class="ops-small">
              updated {time(data.at)}, every {OPS_REFRESH_MS / 1000} s
            </span>
          </p>
        ) : null}
      </div>
      {error ? (
        <p class="error" role="alert">
          The operations figures could not be refreshed: {error}
        </p>
      ) : null}
      {data ? (
        <>
          <Summary data={data} />
          <Connections data={data} />
          <Consumers rows={data.consumers} health={data.consumersHealth} />
          <div class="ops-two">
            {data.partitions.map((p) => (
              <Partitions key={p.name} set={p} />
            ))}
          </div>
          <DeadLetters data={data.deadLetters} />
          <div class="ops-two">
            <Forecast data={data.forecast} />
            <Writeback data={data.writeback} />
          </div>
        </>
      ) : error ? null : (
        <p class="empty">Loading the operations figures…</p>
      )}
      <Quality />
    </section>
  );
}
