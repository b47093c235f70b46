import { ColumnHeads, num } from '../shared/table.tsx';
import type { DayRow } from './csv.ts';
import { day, vol } from './format.ts';

/**
 * Every day behind the chart, oldest to furthest ahead: the chart's full text alternative, and exactly the
 * rows of the CSV download.
 */
export function DayTable(props: { rows: readonly DayRow[]; levels: readonly number[]; origin: string }) {
  const levels = [...props.levels].sort((a, b) => a - b);
  return (
    <details class="fc-days">
      <summary>Numbers behind the chart ({props.rows.length} days)</summary>
      <div class="fc-days-wrap">
        <table id="fc-days">
          <caption class="sr-only">Actual and forecast volume per day, with the interval bounds</caption>
          <thead>
            <tr>
              <ColumnHeads
                columns={[
                  'Day',
                  num('Actual'),
                  num('Forecast'),
                  ...levels.map((l) => num(`${l} % interval`)),
                ]}
              />
            </tr>
          </thead>
          <tbody>
            {props.rows.map((r) => (
              <tr key={r.date} data-date={r.date} class={r.date === props.origin ? 'fc-origin' : undefined}>
                <th scope="row">{day(r.date)}</th>
                <td class="num" data-col="actual">
                  {vol(r.actual)}
                </td>
                <td class="num" data-col="forecast">
                  {vol(r.mean)}
                </td>
                {r.bounds.map((b, i) => (
                  <td key={levels[i]} class="num" data-col={`band-${levels[i]}`}>
                    {b ? `${vol(b[0])} – ${vol(b[1])}` : '–'}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </details>
  );
}
