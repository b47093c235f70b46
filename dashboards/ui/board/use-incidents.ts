import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, api, errorText } from '../shared/api.ts';
import type { IncidentDetail, IncidentList } from './incidents.ts';

/** A live change is stored (and the incidents recomputed) about this long after the board shows it. */
const SETTLE_MS = 1_000;
/** While changes keep arriving, the incidents reload this often. */
const EVERY_MS = 2_000;

export interface IncidentsData {
  /** The incidents under the board's status, type and warehouse; undefined until loaded. */
  readonly list: IncidentList | undefined;
  readonly error: string | undefined;
  /** Expanded incidents' members, by incident id. */
  readonly details: ReadonlyMap<string, IncidentDetail>;
  readonly expanded: ReadonlySet<string>;
  toggle(id: string): void;
  /** Reload now (after an action on an incident). */
  refresh(): void;
  /** Live states changed the board: reload a second later, and every two seconds while changes continue. */
  changed(): void;
}

const enc = encodeURIComponent;

/**
 * The board's incidents (`GET /api/incidents?<query>`) while `on`, with the members of each expanded one
 * (`GET /api/incidents/:id`), reloaded when the query changes, after an action, and — debounced — when the
 * live feed changed the board, so counts follow members as they arrive or resolve.
 */
export function useIncidents(on: boolean, query: string): IncidentsData {
  const [list, setList] = useState<IncidentList | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [details, setDetails] = useState<ReadonlyMap<string, IncidentDetail>>(new Map());
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(new Set());
  const expandedRef = useRef(expanded);
  expandedRef.current = expanded;
  const onRef = useRef(on);
  onRef.current = on;
  /** Loads are numbered; an answer older than one already shown is dropped. */
  const loads = useRef({ next: 0, list: 0, detail: new Map<string, number>() });
  const loadRef = useRef<() => void>(() => undefined);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const lastChange = useRef(0);

  const loadDetail = (id: string, n: number) => {
    api<IncidentDetail>(`/api/incidents/${enc(id)}`).then(
      (d) => {
        if ((loads.current.detail.get(id) ?? -1) > n) return;
        loads.current.detail.set(id, n);
        setDetails((m) => new Map(m).set(id, d));
      },
      (err: unknown) => {
        // Gone (its members regrouped or it left the window): nothing to list under it any more.
        if (err instanceof ApiError && err.status === 404)
          setDetails((m) => {
            const next = new Map(m);
            next.delete(id);
            return next;
          });
      },
    );
  };

  useEffect(() => {
    if (!on) return;
    let current = true;
    const load = () => {
      const n = ++loads.current.next;
      api<IncidentList>(`/api/incidents?${query}`).then(
        (res) => {
          if (!current || loads.current.list > n) return;
          loads.current.list = n;
          setList(res);
          setError(undefined);
        },
        (err: unknown) => {
          if (current) setError(errorText(err));
        },
      );
      for (const id of expandedRef.current) loadDetail(id, n);
    };
    loadRef.current = load;
    load();
    return () => {
      current = false;
      loadRef.current = () => undefined;
    };
  }, [on, query]);

  useEffect(
    () => () => {
      if (timer.current) clearTimeout(timer.current);
    },
    [],
  );

  const run = () => {
    timer.current = undefined;
    if (!onRef.current) return;
    loadRef.current();
    if (Date.now() - lastChange.current < SETTLE_MS) timer.current = setTimeout(run, EVERY_MS);
  };

  return {
    list: on ? list : undefined,
    error: on ? error : undefined,
    details,
    expanded,
    toggle(id) {
      const next = new Set(expandedRef.current);
      if (next.delete(id)) {
        setExpanded(next);
        return;
      }
      next.add(id);
      setExpanded(next);
      loadDetail(id, loads.current.next);
    },
    refresh: () => loadRef.current(),
    changed() {
      if (!onRef.current) return;
      lastChange.current = Date.now();
      timer.current ??= setTimeout(run, SETTLE_MS);
    },
  };
}
