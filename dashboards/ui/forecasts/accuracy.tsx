import { useMemo } from 'preact/hooks';
import { laneLabel, modelName, pct, ratio, when } from './format.ts';
import { laneKey } from './lanes.tsx';
import type { LaneSummary } from './types.ts';

/**
 * The accuracy table for all lanes: the served model's backtested MAPE/WAPE/MASE, seasonal naive's, and
 * the error the served model removes; sortable by any column (a button in each header, aria-sort on it).
 */
export type SortDir = 'asc' | 'desc';

interface Column {
  readonly id: string;
  readonly label: string;
  readonly title?: string;
  readonly num?: boolean;
  readonly value: (l: LaneSummary) => string | number | null;
  readonly show: (l: LaneSummary) => string;
}

/** A figure column: the value `pick` reads (missing: null), shown with `show`. */
function metric(
  id: string,
  label: string,
  title: string,
  pick: (l: LaneSummary) => number | null | undefined,
  show: (v: number | null | undefined) => string,
): Column {
  return { id, label, title, num: true, value: (l) => pick(l) ?? null, show: (l) => show(pick(l)) };
}

export const columns: readonly Column[] = [
  {
    id: 'lane',
    label: 'Lane',
    value: (l) => laneLabel(l.lane, l.warehouse),
    show: (l) => laneLabel(l.lane, l.warehouse),
  },
  {
    id: 'model',
    label: 'Chosen model',
    value: (l) => l.selectedModel,
    show: (l) => modelName(l.selectedModel),
  },
  metric('mape', 'MAPE', 'served model: mean absolute percentage error', (l) => l.accuracy?.mape, pct),
  metric('wape', 'WAPE', 'served model: weighted absolute percentage error', (l) => l.accuracy?.wape, pct),
  metric('mase', 'MASE', 'served model: mean absolute scaled error', (l) => l.accuracy?.mase, ratio),
  metric(
    'naive-wape',
    'Naive WAPE',
    'seasonal naive: WAPE over the same folds',
    (l) => l.baseline?.wape,
    pct,
  ),
  metric(
    'naive-mase',
    'Naive MASE',
    'seasonal naive: MASE over the same folds',
    (l) => l.baseline?.mase,
    ratio,
  ),
  metric('skill', 'Less error than naive', "1 − WAPE / seasonal naive's WAPE", (l) => l.skill, pct),
  { id: 'folds', label: 'Folds', num: true, value: (l) => l.folds, show: (l) => String(l.folds) },
  { id: 'backtested', label: 'Backtested', value: (l) => l.backtestedAt, show: (l) => when(l.backtestedAt) },
];

/** Sorted copy; missing values last whatever the direction. */
export function sortLanes(lanes: readonly LaneSummary[], by: string, dir: SortDir): LaneSummary[] {
  const col = columns.find((c) => c.id === by) ?? columns[0];
  if (!col) return [...lanes];
  const sign = dir === 'asc' ? 1 : -1;
  return [...lanes].sort((a, b) => {
    const x = col.value(a);
    const y = col.value(b);
    if (x === null || y === null) return x === y ? 0 : x === null ? 1 : -1;
    const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
    return c === 0 ? laneKey(a).localeCompare(laneKey(b)) : sign * c;
  });
}

export function AccuracyTable(props: {
  lanes: readonly LaneSummary[];
  sort: string;
  dir: SortDir;
  onSort: (by: string, dir: SortDir) => void;
  selected: string | undefined;
  onPick: (l: LaneSummary) => void;
}) {
  const rows = useMemo(
    () => sortLanes(props.lanes, props.sort, props.dir),
    [props.lanes, props.sort, props.dir],
  );
  return (
    <section class="pane fc-accuracy" aria-labelledby="fc-accuracy-title">
      <h2 id="fc-accuracy-title">Backtest accuracy, all lanes</h2>
      <div class="fc-table-wrap">
        <table id="fc-accuracy">
          <caption class="sr-only">
            Backtest accuracy per lane, sorted by {columns.find((c) => c.id === props.sort)?.label ?? 'lane'}{' '}
            {props.dir === 'asc' ? 'ascending' : 'descending'}
          </caption>
          <thead>
            <tr>
              {columns.map((c) => {
                const active = c.id === props.sort;
                return (
                  <th
                    key={c.id}
                    scope="col"
                    class={c.num ? 'num' : undefined}
                    aria-sort={active ? (props.dir === 'asc' ? 'ascending' : 'descending') : 'none'}
                  >
                    <button
                      type="button"
                      class="fc-sort"
                      data-sort={c.id}
                      title={c.title}
                      onClick={() => props.onSort(c.id, active && props.dir === 'asc' ? 'desc' : 'asc')}
                    >
                      {c.label}
                      <span aria-hidden="true">{active ? (props.dir === 'asc' ? ' ▲' : ' ▼') : ''}</span>
                    </button>
                  </th>
                );
              })}
            </tr>
          </thead>
          <tbody>
            {rows.map((l) => (
              <tr
                key={laneKey(l)}
                data-lane={l.lane}
                aria-current={laneKey(l) === props.selected ? 'true' : undefined}
              >
                {columns.map((c, i) =>
                  i === 0 ? (
                    <th key={c.id} scope="row">
                      <button type="button" class="link" onClick={() => props.onPick(l)}>
                        {c.show(l)}
                      </button>
                    </th>
                  ) : (
                    <td key={c.id} class={c.num ? 'num' : undefined} data-col={c.id}>
                      {c.show(l)}
                    </td>
                  ),
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
