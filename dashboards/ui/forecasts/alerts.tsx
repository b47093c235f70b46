import { count, day, laneLabel, pct, when } from './format.ts';
import type { ForecastAlert } from './types.ts';

/**
 * Forecast alerts, newest first: a lane's next 7 days moved against the previous forecast, or the live
 * forecast MAPE crossed the policy's threshold.
 */
export function AlertsPanel(props: {
  alerts: readonly ForecastAlert[] | undefined;
  total: number;
  error: string | undefined;
  onPick: (a: ForecastAlert) => void;
}) {
  const { alerts } = props;
  return (
    <section class="pane fc-alerts" aria-labelledby="fc-alerts-title">
      <h2 id="fc-alerts-title">
        Forecast-delta alerts <span class="chip">{props.total}</span>
      </h2>
      {props.error && (
        <p class="error" role="alert">
          {props.error}
        </p>
      )}
      {alerts && alerts.length === 0 && (
        <p class="fc-muted">
          No lane's next 7 days moved by more than the threshold against the previous forecast.
        </p>
      )}
      {alerts && alerts.length > 0 && (
        <ul class="fc-alert-list">
          {alerts.map((a) =>
            a.kind === 'forecast_mape' ? (
              <li key={a.id} data-alert-kind={a.kind}>
                <strong>Live forecast MAPE</strong>{' '}
                <span class="fc-up">
                  ▲ {pct(a.value ?? 0)} above the policy's {pct(a.threshold)}
                </span>{' '}
                <span>
                  forecasts 1–7 days ahead, {day(a.windowStart)} to {day(a.windowEnd)}
                </span>{' '}
                <span class="fc-muted">({when(a.createdAt)})</span>
              </li>
            ) : (
              <li key={a.id} data-alert-lane={a.lane}>
                <button type="button" class="link" onClick={() => props.onPick(a)}>
                  {laneLabel(a.lane, a.warehouse)}
                </button>{' '}
                <span class={a.direction === 'up' ? 'fc-up' : 'fc-down'}>
                  {a.direction === 'up' ? '▲ up' : '▼ down'} {pct(Math.abs(a.change))}
                </span>{' '}
                <span>
                  {count(a.previousVolume)} → {count(a.newVolume)} shipments, {day(a.windowStart)} to{' '}
                  {day(a.windowEnd)}
                </span>{' '}
                <span class="fc-muted">
                  (threshold {pct(a.threshold)}, {when(a.createdAt)})
                </span>
              </li>
            ),
          )}
        </ul>
      )}
    </section>
  );
}
