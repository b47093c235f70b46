import { typeLabel } from './model.ts';
import type { CountCell } from './use-board.ts';

export interface HeatProps {
  readonly cells: readonly CountCell[];
  readonly type: string;
  readonly warehouseId: string;
  /** Filter the board to this cell (or clear it when it is the current one). */
  onPick(type: string, warehouseId: string): void;
}

/** 0 … 4: the cell's color step, relative to the busiest cell. */
function level(count: number, max: number): number {
  if (count <= 0 || max <= 0) return 0;
  return Math.min(4, Math.max(1, Math.ceil((count / max) * 4)));
}

/**
 * Counts per type × warehouse as a heat strip: one row per type, one column per warehouse, each cell a
 * button colored by its count that filters the board to it.
 */
export function HeatStrip(p: HeatProps) {
  const warehouses = [...new Set(p.cells.map((c) => c.warehouseId))].sort();
  const types = [...new Set(p.cells.map((c) => c.type))].sort();
  if (!types.length) return null;
  const byKey = new Map(p.cells.map((c) => [`${c.type}\u0000${c.warehouseId}`, c.count]));
  const max = Math.max(...p.cells.map((c) => c.count));
  return (
    <div class="bd-heat-wrap">
      <table class="bd-heat" aria-describedby="heat-help">
        <caption>
          Exceptions per type and warehouse{' '}
          <span id="heat-help" class="bd-muted">
            (choose a cell to filter the board)
          </span>
        </caption>
        <thead>
          <tr>
            <th scope="col">Type</th>
            {warehouses.map((w) => (
              <th scope="col" key={w}>
                {w || 'none'}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {types.map((t) => (
            <tr key={t}>
              <th scope="row">{typeLabel(t)}</th>
              {warehouses.map((w) => {
                const n = byKey.get(`${t}\u0000${w}`) ?? 0;
                const current = p.type === t && p.warehouseId === w;
                return (
                  <td key={w}>
                    <button
                      type="button"
                      class={`bd-cell heat-${level(n, max)}`}
                      data-count-type={t}
                      data-count-warehouse={w}
                      aria-pressed={current}
                      aria-label={`${typeLabel(t)} at ${w || 'no warehouse'}: ${n}`}
                      onClick={() => p.onPick(t, w)}
                    >
                      <b>{n}</b>
                    </button>
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
