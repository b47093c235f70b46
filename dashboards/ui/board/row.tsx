import { type Column, ColumnHeads } from '../shared/table.tsx';
import { type Exception, formatAge, typeLabel } from './model.ts';

/** The board's columns: the main list and an incident's members share them. */
export const COLUMNS: readonly Column[] = [
  { label: 'Severity', class: 'c-sev' },
  { label: 'Exception', class: 'c-type' },
  { label: 'Shipment / SKU', class: 'c-ship hide-narrow hide-detail' },
  { label: 'Warehouse', class: 'c-wh' },
  { label: 'Lane', class: 'c-lane hide-narrow' },
  { label: 'Customer', class: 'c-cust hide-narrow hide-detail' },
  { label: 'Age', class: 'c-age num' },
  { label: 'Status', class: 'c-status hide-narrow' },
];

/** The header row; with `canAct`, a selection column first (`selectAll` makes it a select-all box). */
export function ExceptionHead(p: {
  canAct: boolean;
  selectAll?: { checked: boolean; onChange(): void } | undefined;
}) {
  return (
    <tr aria-rowindex={1}>
      {p.canAct && (
        <th scope="col" class="c-sel">
          {p.selectAll ? (
            <input
              type="checkbox"
              aria-label="Select every exception on the board"
              checked={p.selectAll.checked}
              onChange={p.selectAll.onChange}
            />
          ) : (
            <span class="sr-only">Select</span>
          )}
        </th>
      )}
      <ColumnHeads columns={COLUMNS} />
    </tr>
  );
}

export interface RowProps {
  readonly ex: Exception;
  /** Position in its table (data-index; aria-rowindex is one more, after the header). */
  readonly index: number;
  /** occurredAt in ms (the row's age is counted from it). */
  readonly at: number;
  readonly now: number;
  readonly classes: string;
  readonly opened: boolean;
  readonly selected: boolean;
  readonly canAct: boolean;
  readonly href: string;
  onOpen(): void;
  onToggle(): void;
}

/** One exception as a table row: the link opens its detail, the row opens it on a click too. */
export function ExceptionRow(p: RowProps) {
  const ex = p.ex;
  return (
    <tr
      class={p.classes}
      data-id={ex.id}
      data-type={ex.type}
      data-severity={ex.severity}
      data-shipment={ex.shipmentId}
      data-warehouse={ex.warehouseId}
      data-status={ex.status}
      data-index={p.index}
      aria-rowindex={p.index + 2}
      onClick={(e) => {
        const target = e.target as HTMLElement;
        if (target.closest('input, a, button')) return;
        p.onOpen();
      }}
    >
      {p.canAct && (
        <td>
          <input
            type="checkbox"
            aria-label={`Select ${typeLabel(ex.type)} ${ex.shipmentId ?? ex.sku ?? ex.id}`}
            checked={p.selected}
            onChange={p.onToggle}
          />
        </td>
      )}
      <td>
        <span class={`sev sev-${ex.severity}`}>{ex.severity}</span>
      </td>
      <td class="bd-clip">
        <a
          href={p.href}
          aria-current={p.opened ? 'true' : undefined}
          onClick={(e) => {
            if (e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
            e.preventDefault();
            p.onOpen();
          }}
        >
          {typeLabel(ex.type)}
        </a>
      </td>
      <td class="bd-clip hide-narrow hide-detail">{ex.shipmentId ?? ex.sku ?? '—'}</td>
      <td class="bd-clip">{ex.warehouseId ?? '—'}</td>
      <td class="bd-clip hide-narrow">{ex.lane ?? '—'}</td>
      <td class="bd-clip hide-narrow hide-detail">
        {ex.customerId ?? '—'}
        {ex.customerTier ? <span class="bd-tier"> {ex.customerTier}</span> : null}
      </td>
      <td class="num bd-age">
        <time dateTime={ex.occurredAt}>{formatAge(p.now - p.at)}</time>
      </td>
      <td class="bd-clip hide-narrow">{ex.status === 'assigned' ? `→ ${ex.assignedTo ?? ''}` : ex.status}</td>
    </tr>
  );
}
