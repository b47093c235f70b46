import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { BoardStore } from './board-store.ts';
import { useNow } from './clock.ts';
import type { Row } from './model.ts';
import { ExceptionHead, ExceptionRow } from './row.tsx';

/** Every row has this height, so only the rows in view (plus a margin) are rendered. */
export const ROW_H = 40;
const OVERSCAN = 10;
const HEADER_H = 34;

export interface ListProps {
  readonly rows: readonly Row[];
  readonly store: BoardStore;
  readonly version: number;
  /** Index of the keyboard cursor. */
  readonly cursor: number;
  /** Incremented when the cursor moved by keyboard: scroll to it and focus it. */
  readonly reveal: number;
  readonly openId: string | undefined;
  readonly selection: ReadonlySet<string>;
  readonly canAct: boolean;
  readonly hrefOf: (id: string) => string;
  /** The table's name (default "Exceptions"), and what an empty one says. */
  readonly label?: string;
  readonly empty?: string;
  onOpen(id: string, index: number): void;
  onToggle(id: string): void;
  onToggleAll(): void;
}

/** The exceptions as a windowed table: a scroll container, a fixed row height, rows in view only. */
export function ExceptionList(p: ListProps) {
  const scroller = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(600);
  const focusPending = useRef(false);
  const now = useNow(1_000);

  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    setHeight(el.clientHeight);
    const ro = new ResizeObserver(() => setHeight(el.clientHeight));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  // Keyboard moves: bring the cursor row into view, then focus its link once it is rendered.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el || p.reveal === 0) return;
    const top = p.cursor * ROW_H;
    const view = el.clientHeight - HEADER_H;
    let next = el.scrollTop;
    if (top < el.scrollTop) next = top;
    else if (top + ROW_H > el.scrollTop + view) next = top + ROW_H - view;
    if (next !== el.scrollTop) {
      el.scrollTop = next;
      setScrollTop(next);
    }
    focusPending.current = true;
  }, [p.reveal]);

  useLayoutEffect(() => {
    if (!focusPending.current) return;
    const link = scroller.current?.querySelector<HTMLElement>(`tr[data-index="${p.cursor}"] a`);
    if (link) {
      focusPending.current = false;
      link.focus({ preventScroll: true });
    }
  });

  const frame = useRef(0);
  const onScroll = (e: Event) => {
    const el = e.currentTarget as HTMLDivElement;
    if (frame.current) return;
    frame.current = requestAnimationFrame(() => {
      frame.current = 0;
      setScrollTop(el.scrollTop);
    });
  };

  const rows = p.rows;
  const first = Math.max(0, Math.floor(scrollTop / ROW_H) - OVERSCAN);
  const last = Math.min(rows.length, Math.ceil((scrollTop + height) / ROW_H) + OVERSCAN);
  const allSelected = rows.length > 0 && p.selection.size >= rows.length;
  const cols = p.canAct ? 9 : 8;

  return (
    <div class="bd-scroll" ref={scroller} onScroll={onScroll}>
      <table
        class="bd-table"
        id="exceptions"
        aria-label={p.label ?? 'Exceptions'}
        aria-rowcount={rows.length + 1}
      >
        <thead>
          <ExceptionHead canAct={p.canAct} selectAll={{ checked: allSelected, onChange: p.onToggleAll }} />
        </thead>
        <tbody>
          {first > 0 && (
            <tr class="bd-spacer" style={{ height: `${first * ROW_H}px` }}>
              <td colSpan={cols} />
            </tr>
          )}
          {rows.slice(first, last).map((row, i) => {
            const index = first + i;
            const ex = row.ex;
            const selected = p.selection.has(ex.id);
            const classes = [
              index === p.cursor ? 'cursor' : '',
              ex.id === p.openId ? 'opened' : '',
              selected ? 'picked' : '',
              p.store.isFresh(ex.id, now) ? 'fresh' : '',
            ].filter(Boolean);
            return (
              <ExceptionRow
                key={ex.id}
                ex={ex}
                index={index}
                at={row.at}
                now={now}
                classes={classes.join(' ')}
                opened={ex.id === p.openId}
                selected={selected}
                canAct={p.canAct}
                href={p.hrefOf(ex.id)}
                onOpen={() => p.onOpen(ex.id, index)}
                onToggle={() => p.onToggle(ex.id)}
              />
            );
          })}
          {last < rows.length && (
            <tr class="bd-spacer" style={{ height: `${(rows.length - last) * ROW_H}px` }}>
              <td colSpan={cols} />
            </tr>
          )}
        </tbody>
      </table>
      {rows.length === 0 && <p class="empty">{p.empty ?? 'No exceptions match these filters.'}</p>}
    </div>
  );
}
