import { useApi } from '../shared/poll.ts';
import { can, useMe } from '../shared/session.ts';
import { crossedCue, formatThreshold, formatValue, sparkText } from './format.ts';
import './kpi.css';
import { Sparkline } from './sparkline.tsx';
import type { KpiAnswer, KpiView } from './types.ts';

/** How often the strip asks GET /api/kpis again. */
export const KPI_REFRESH_MS = 30_000;

function Kpi(props: { kpi: KpiView }) {
  const k = props.kpi;
  return (
    <li
      class={`kpi${k.crossed ? ' crossed' : ''}${k.value === null ? ' missing' : ''}`}
      data-kpi={k.name}
      title={k.value === null ? k.reason : k.detail}
    >
      <span class="kpi-label">{k.label}</span>
      <span class="kpi-figures">
        {k.value === null ? (
          <span class="value none">
            no data<span class="sr-only">: {k.reason}</span>
          </span>
        ) : (
          <span class="value">{formatValue(k.value, k.unit)}</span>
        )}
      </span>
      <Sparkline points={k.sparkline} crossed={k.crossed} />
      <span class="limit">{formatThreshold(k.threshold, k.unit, k.direction)}</span>
      {k.crossed ? (
        <span class="kpi-cue">
          <span aria-hidden="true">▲ </span>
          {crossedCue(k.direction)}
        </span>
      ) : null}
      <span class="sr-only">{sparkText(k.sparkline, k.unit)}</span>
    </li>
  );
}

/** The KPI strip on every screen: the policy's KPIs and SLOs against their thresholds, refreshed every 30 s. */
export function KpiStrip() {
  const me = useMe();
  const allowed = can(me, 'policy:read');
  const { data, error } = useApi<KpiAnswer>(allowed ? '/api/kpis' : undefined, KPI_REFRESH_MS);
  if (!allowed) return null;
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: on a phone the strip scrolls sideways, keys must reach it
    <section class="kpis" aria-label="Key indicators" data-updated={data?.at} tabIndex={0}>
      {data ? (
        <ul class="kpi-list">
          {data.kpis.map((k) => (
            <Kpi key={k.name} kpi={k} />
          ))}
        </ul>
      ) : error ? null : (
        <p class="kpi-note">Loading indicators…</p>
      )}
      {error ? <p class="kpi-note error">Indicators could not be refreshed: {error}</p> : null}
    </section>
  );
}
