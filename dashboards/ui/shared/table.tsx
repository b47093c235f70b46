import type { ComponentChildren } from 'preact';

/** A column header: its text, or its content with its classes (`num` right-aligns a figure column). */
export type Column = string | { readonly label: ComponentChildren; readonly class: string };

/** A figure column's header (right-aligned). */
export const num = (label: ComponentChildren): Column => ({ label, class: 'num' });

/** A table's column headers in order, each a `<th scope="col">`. */
export function ColumnHeads(props: { columns: readonly Column[] }) {
  return (
    <>
      {props.columns.map((c, i) =>
        typeof c === 'string' ? (
          <th key={i} scope="col">
            {c}
          </th>
        ) : (
          <th key={i} scope="col" class={c.class}>
            {c.label}
          </th>
        ),
      )}
    </>
  );
}
