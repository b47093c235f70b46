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
  {
    id: 'mape',
    label: 'MAPE',
    title: 'served model: mean absolute percentage error',
    num: true,
    value: (l) => l.accuracy?.mape ?? null,
    show: (l) => pct(l.accuracy?.mape),
  },
  {
    id: 'wape',
    label: 'WAPE',
    title: 'served model: weighted absolute percentage error',
    num: true,
    value: (l) => l.accuracy?.wape ?? null,
    show: (l) => pct(l.accuracy?.wape),
  },
  {
    id: 'mase',
    label: 'MASE',
    title: 'served model: mean absolute scaled error',
    num: true,
    value: (l) => l.accuracy?.mase ?? null,
    show: (l) => ratio(l.accuracy?.mase),
  },
  {
    id: 'naive-wape',
    label: 'Naive WAPE',
    title: 'seasonal naive: WAPE over the same folds',
    num: true,
    value: (l) => l.baseline?.wape ?? null,
    show: (l) => pct(l.baseline?.wape),
  },
  {
    id: 'naive-mase',
    label: 'Naive MASE',
    title: 'seasonal naive: MASE over the same folds',
    num: true,
    value: (l) => l.baseline?.mase ?? null,
    show: (l) => ratio(l.baseline?.mase),
  },
  {
    id: 'skill',
    label: 'Less error than naive',
    title: "1 − WAPE / seasonal naive's WAPE",
    num: true,
    value: (l) => l.skill,
    show: (l) => pct(l.skill),
  },
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
