import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api, errorText } from '../shared/api.ts';
import { alertIfCritical } from './alerts.ts';
import { BoardStore } from './board-store.ts';
import { type LiveState, openLive } from './live.ts';
import { countsQuery, type Exception, type Filters, listQuery, streamQuery } from './model.ts';

/** The most the API gives at once; a board with more shows the most urgent ones and says so. */
export const LIST_LIMIT = 5_000;

export interface CountCell {
  readonly type: string;
  readonly warehouseId: string;
  readonly count: number;
}

/** Timings for the performance check (read by the browser tests and the lead's measurement). */
export interface BoardStats {
  /** Main-thread time from the list's arrival to its rows on screen (parse, Map, sort, render). */
  firstRenderMs: number | null;
  /** Main-thread time of the last batch of live updates (apply, sort, render). */
  lastUpdateMs: number | null;
  /** performance.now() when the first rows were on screen (includes loading the app and the list). */
  firstRowsAt: number | null;
  /** Rows on the board, and live states applied so far. */
  rows: number;
  liveUpdates: number;
}

declare global {
  interface Window {
    __docksideBoardStats?: BoardStats;
  }
}

const stats: BoardStats = {
  firstRenderMs: null,
  lastUpdateMs: null,
  firstRowsAt: null,
  rows: 0,
  liveUpdates: 0,
};
window.__docksideBoardStats = stats;

export interface BoardData {
  readonly store: BoardStore;
  /** Changes whenever the store does. */
  readonly version: number;
  readonly live: LiveState;
  readonly loading: boolean;
  readonly error: string | undefined;
  /** Matches in the API (may exceed what is loaded). */
  readonly total: number;
  readonly counts: readonly CountCell[];
  /** Apply a state the API answered with. */
  put(ex: Exception): void;
}

const COUNTS_EVERY_MS = 2_000;
/** Time for the exceptions sink to store a state the live feed has shown. */
const COUNTS_SETTLE_MS = 1_000;

/** The list's body as text (the API client would parse it before the measured work starts). */
async function listText(path: string): Promise<string> {
  const res = await fetch(path, { credentials: 'same-origin', headers: { accept: 'application/json' } });
  if (res.ok) return res.text();
  // The API client turns the refusal into its error (and a 401 into signing in again).
  await api(path);
  throw new Error(`HTTP ${res.status}`);
}

/**
 * Loads the board for the filters, keeps it live (EventSource, updates batched per animation frame),
 * reloads it after a reconnect, and measures the work. `onLive` hears of every batch of live changes.
 */
export function useBoard(filters: Filters, onLive?: () => void): BoardData {
  const list = listQuery(filters, LIST_LIMIT);
  const stream = streamQuery(filters);
  const counts = countsQuery(filters);
  const store = useMemo(() => new BoardStore(filters), []);
  store.setFilters(filters, Date.now());
  const [version, setVersion] = useState(0);
  const [live, setLive] = useState<LiveState>('connecting');
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | undefined>();
  const [total, setTotal] = useState(0);
  const [cells, setCells] = useState<readonly CountCell[]>([]);
  /** Set before a render whose commit ends a measured piece of work. */
  const measuring = useRef<{ kind: 'first' | 'update'; start: number } | undefined>(undefined);
  const reloadRef = useRef<() => void>(() => undefined);
  const countsRef = useRef<() => void>(() => undefined);
  /** Told when live states changed the board or the feed reconnected (the incidents refresh on it). */
  const liveRef = useRef(onLive);
  liveRef.current = onLive;

  useLayoutEffect(() => {
    const m = measuring.current;
    if (!m) return;
    measuring.current = undefined;
    const spent = performance.now() - m.start;
    stats.rows = store.size;
    if (m.kind === 'first') {
      stats.firstRenderMs = spent;
      stats.firstRowsAt ??= performance.now();
    } else stats.lastUpdateMs = spent;
  }, [version]);

  // The list: on load, when the filters change, after a reconnect or a reset.
  useEffect(() => {
    let current = true;
    const load = () => {
      setLoading(true);
      listText(`/api/exceptions?${list}`).then(
        (text) => {
          if (!current) return;
          // Measured from the response text: parsing 5,000 states is part of the first render's work.
          const start = performance.now();
          const res = JSON.parse(text) as { items: Exception[]; total: number };
          store.replaceAll(res.items, Date.now());
          measuring.current = { kind: 'first', start };
          setTotal(res.total);
          setError(undefined);
          setLoading(false);
          setVersion(store.version);
        },
        (err: unknown) => {
          if (!current) return;
          setError(errorText(err));
          setLoading(false);
        },
      );
    };
    reloadRef.current = load;
    load();
    return () => {
      current = false;
    };
  }, [list]);

  // The heat strip's counts: on load, then (while live states arrive) a second after the first of a burst
  // and every COUNTS_EVERY_MS while it lasts, so the last fetch comes after the sink has stored the last state.
  useEffect(() => {
    let current = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let lastEvent = 0;
    const fetchCounts = () => {
      api<{ cells: CountCell[] }>(`/api/exceptions/counts${counts ? `?${counts}` : ''}`).then(
        (res) => {
          if (current) setCells(res.cells);
        },
        () => undefined,
      );
    };
    const run = () => {
      timer = undefined;
      if (!current) return;
      fetchCounts();
      if (Date.now() - lastEvent < COUNTS_SETTLE_MS) timer = setTimeout(run, COUNTS_EVERY_MS);
    };
    countsRef.current = () => {
      lastEvent = Date.now();
      timer ??= setTimeout(run, COUNTS_SETTLE_MS);
    };
    fetchCounts();
    return () => {
      current = false;
      if (timer) clearTimeout(timer);
    };
  }, [counts]);

  // The live feed: states are queued and applied once per animation frame.
  useEffect(() => {
    let queue: Exception[] = [];
    let frame = 0;
    const flush = () => {
      frame = 0;
      const batch = queue;
      queue = [];
      const start = performance.now();
      const now = Date.now();
      let changed = false;
      let delta = 0;
      for (const ex of batch) {
        const r = store.live(ex, now);
        if (r === 'ignored') continue;
        changed = true;
        if (r === 'added') {
          delta++;
          alertIfCritical(ex);
        } else if (r === 'removed') delta--;
      }
      stats.liveUpdates += batch.length;
      if (!changed) return;
      if (delta) setTotal((t) => Math.max(0, t + delta));
      measuring.current = { kind: 'update', start };
      setVersion(store.version);
      countsRef.current();
      liveRef.current?.();
    };
    const stop = openLive(stream, {
      onException: (ex) => {
        queue.push(ex);
        // A hidden tab gets no animation frames: apply its updates a few times a second instead.
        if (!frame) frame = document.hidden ? window.setTimeout(flush, 250) : requestAnimationFrame(flush);
      },
      onState: setLive,
      onReconnected: () => {
        reloadRef.current();
        countsRef.current();
        liveRef.current?.();
      },
      onReset: () => {
        reloadRef.current();
        liveRef.current?.();
      },
    });
    return () => {
      stop();
      if (frame) {
        cancelAnimationFrame(frame);
        clearTimeout(frame);
      }
    };
  }, [stream]);

  // With an age filter, exceptions grow into it as time passes: reload each minute.
  useEffect(() => {
    if (!filters.olderThan) return;
    const timer = setInterval(() => reloadRef.current(), 60_000);
    return () => clearInterval(timer);
  }, [filters.olderThan]);

  return {
    store,
    // The store's own counter: it also moves when new filters drop rows during this render.
    version: Math.max(version, store.version),
    live,
    loading,
    error,
    total: Math.max(total, store.size),
    counts: cells,
    put(ex) {
      store.put(ex, Date.now());
      setVersion(store.version);
    },
  };
}
