import { useMemo, useRef } from 'preact/hooks';
import { laneLabel, pct } from './format.ts';
import type { LaneSummary } from './types.ts';

/**
 * The lane picker: a search box over a filtered list of buttons (each lane with its backtested WAPE).
 * Keyboard: ↓ from the search box goes to the first lane; ↑/↓, Home/End move between lanes; Enter opens
 * one; Escape goes back to the search box.
 */
export const laneKey = (l: { lane: string; warehouse: string }) => `${l.lane}\u001f${l.warehouse}`;

export function matches(l: LaneSummary, q: string): boolean {
  const needle = q.trim().toLowerCase();
  return !needle || `${l.lane} ${l.warehouse}`.toLowerCase().includes(needle);
}

export function LanePicker(props: {
  lanes: readonly LaneSummary[];
  total: number;
  q: string;
  onSearch: (q: string) => void;
  selected: string | undefined;
  onPick: (lane: LaneSummary) => void;
}) {
  const { lanes, q } = props;
  const shown = useMemo(() => lanes.filter((l) => matches(l, q)), [lanes, q]);
  const list = useRef<HTMLUListElement>(null);
  const search = useRef<HTMLInputElement>(null);
  const buttons = () => [...(list.current?.querySelectorAll<HTMLButtonElement>('button') ?? [])];
  const move = (e: KeyboardEvent) => {
    const all = buttons();
    const at = all.indexOf(document.activeElement as HTMLButtonElement);
    const go = (i: number) => {
      e.preventDefault();
      all[Math.max(0, Math.min(all.length - 1, i))]?.focus();
    };
    if (e.key === 'ArrowDown') go(at + 1);
    else if (e.key === 'ArrowUp' && at > 0) go(at - 1);
    else if (e.key === 'Home') go(0);
    else if (e.key === 'End') go(all.length - 1);
    else if (e.key === 'Escape' || (e.key === 'ArrowUp' && at <= 0)) {
      e.preventDefault();
      search.current?.focus();
    }
  };
  return (
    <nav class="pane fc-lanes" aria-label="Lanes">
      <label class="fc-search">
        Search lanes
        <input
          ref={search}
          type="search"
          value={q}
          placeholder="e.g. ATL or >NYC"
          aria-controls="fc-lane-list"
          aria-describedby="fc-lane-count"
          autocomplete="off"
          spellcheck={false}
          onInput={(e) => props.onSearch(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key === 'ArrowDown') {
              e.preventDefault();
              buttons()[0]?.focus();
            }
          }}
        />
      </label>
      <p id="fc-lane-count" class="fc-count" aria-live="polite">
        {shown.length === lanes.length ? `${lanes.length} lanes` : `${shown.length} of ${lanes.length} lanes`}
        {props.total > lanes.length ? ` (first ${lanes.length} of ${props.total} loaded)` : ''}
      </p>
      <ul id="fc-lane-list" ref={list} class="fc-lane-list" onKeyDown={move}>
        {shown.map((l) => {
          const key = laneKey(l);
          const current = key === props.selected;
          return (
            <li key={key}>
              <button
                type="button"
                aria-current={current ? 'true' : undefined}
                data-lane={l.lane}
                onClick={() => props.onPick(l)}
              >
                <span class="fc-lane-name">{laneLabel(l.lane, l.warehouse)}</span>
                <span class="fc-lane-metric">WAPE {pct(l.accuracy?.wape)}</span>
              </button>
            </li>
          );
        })}
      </ul>
      {shown.length === 0 && <p class="empty">No lane matches “{q}”.</p>}
    </nav>
  );
}
