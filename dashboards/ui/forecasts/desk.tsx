import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, errorText, query } from '../shared/api.ts';
import { setParams, useLocation } from '../shared/router.ts';
import { AccuracyTable, type SortDir } from './accuracy.tsx';
import { AlertsPanel } from './alerts.tsx';
import { ForecastChart } from './chart.tsx';
import { csvFilename, dayRows, deskCsv } from './csv.ts';
import { DayTable } from './days.tsx';
import './desk.css';
import { laneLabel, when } from './format.ts';
import { LanePicker, laneKey } from './lanes.tsx';
import { ModelPanel } from './model.tsx';
import type { ForecastAlert, LaneSummary, LiveAnswer, Measure, Paged, Series } from './types.ts';

/**
 * The planner's forecast desk: pick a lane (search), see its actuals and forecast with the 80 and 95 %
 * bands, the model behind it and its backtest beside seasonal naive's, its live check against the simpler
 * forecasts, the forecast-delta alerts, and the
 * accuracy table of every lane; download what is shown as CSV. The lane, measure, history window and the
 * table's sort are kept in the URL, so a view can be shared.
 */
const PAGE = 500;
const MAX_PAGES = 10;
const REFRESH_MS = 60_000;
const WAITING_MS = 5_000;
const HISTORIES = [28, 56, 91, 182] as const;

async function loadLanes(measure: Measure): Promise<{ lanes: LaneSummary[]; total: number }> {
  const lanes: LaneSummary[] = [];
  let total = 0;
  for (let page = 1; page <= MAX_PAGES; page++) {
    const p = await api<Paged<LaneSummary>>(
      `/api/forecasts/lanes${query({ measure, page, pageSize: PAGE })}`,
    );
    lanes.push(...p.data);
    total = p.total;
    if (p.nextPage === null) break;
  }
  return { lanes, total };
}

export function ForecastDesk() {
  const loc = useLocation();
  const measure: Measure = loc.params.get('measure') === 'shipped' ? 'shipped' : 'committed';
  const history = Number(loc.params.get('history')) || 56;
  const sort = loc.params.get('sort') ?? 'lane';
  const dir: SortDir = loc.params.get('dir') === 'desc' ? 'desc' : 'asc';
  const wantedLane = loc.params.get('lane') ?? undefined;
  const wantedWarehouse = loc.params.get('warehouse') ?? '';

  const [q, setQ] = useState('');
  const [lanes, setLanes] = useState<{ lanes: LaneSummary[]; total: number } | undefined>();
  const [alerts, setAlerts] = useState<Paged<ForecastAlert> | undefined>();
  const [series, setSeries] = useState<Series | undefined>();
  const [live, setLive] = useState<LiveAnswer | undefined>();
  const [errors, setErrors] = useState<{ lanes?: string; alerts?: string; series?: string }>({});

  // Lanes and alerts: at start, on a measure change, then every minute (every 5 s while nothing is stored yet).
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const load = async () => {
      let empty = true;
      try {
        const got = await loadLanes(measure);
        if (stopped) return;
        setLanes(got);
        empty = got.lanes.length === 0;
        setErrors((e) => ({ ...e, lanes: undefined }));
      } catch (err) {
        if (!stopped) setErrors((e) => ({ ...e, lanes: errorText(err) }));
      }
      try {
        const got = await api<Paged<ForecastAlert>>(
          `/api/forecasts/alerts${query({ measure, pageSize: 20 })}`,
        );
        if (!stopped) {
          setAlerts(got);
          setErrors((e) => ({ ...e, alerts: undefined }));
        }
      } catch (err) {
        if (!stopped) setErrors((e) => ({ ...e, alerts: errorText(err) }));
      }
      if (!stopped) timer = setTimeout(load, empty ? WAITING_MS : REFRESH_MS);
    };
    setLanes(undefined);
    void load();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    };
  }, [measure]);

  const list = lanes?.lanes ?? [];
  const current =
    list.find((l) => l.lane === wantedLane && l.warehouse === wantedWarehouse) ??
    (wantedLane === undefined ? list[0] : undefined);
  const currentKey = current ? laneKey(current) : undefined;

  // The lane's series: when the lane, the window or its latest run changes.
  useEffect(() => {
    if (!current) {
      setSeries(undefined);
      return;
    }
    let stopped = false;
    api<Series>(
      `/api/forecasts/series${query({ lane: current.lane, warehouse: current.warehouse, measure, history })}`,
    ).then(
      (s) => {
        if (stopped) return;
        setSeries(s);
        setErrors((e) => ({ ...e, series: undefined }));
      },
      (err: unknown) => {
        if (!stopped) setErrors((e) => ({ ...e, series: errorText(err) }));
      },
    );
    // The live check is a footnote to the lane: if it cannot load, the lane still shows.
    setLive(undefined);
    api<LiveAnswer>(
      `/api/forecasts/live${query({ lane: current.lane, warehouse: current.warehouse, measure })}`,
    ).then(
      (l) => {
        if (!stopped) setLive(l);
      },
      () => undefined,
    );
    return () => {
      stopped = true;
    };
  }, [currentKey, current?.runId, measure, history]);

  const shown = series && current && laneKey(series) === currentKey ? series : undefined;
  const view = useMemo(() => (shown ? dayRows(shown) : undefined), [shown]);
  const csv = useMemo(
    () => (shown ? URL.createObjectURL(new Blob([deskCsv(shown)], { type: 'text/csv' })) : undefined),
    [shown],
  );
  useEffect(() => () => (csv ? URL.revokeObjectURL(csv) : undefined), [csv]);

  const pick = (l: { lane: string; warehouse: string }) =>
    setParams({ lane: l.lane, warehouse: l.warehouse || undefined });
  const laneAlerts = (alerts?.data ?? []).filter(
    (a) => current && a.lane === current.lane && a.warehouse === current.warehouse,
  );

  return (
    <section class="fc-desk" aria-labelledby="desk-title">
      <header class="fc-head">
        <h1 id="desk-title">Forecast desk</h1>
        <div class="toolbar fc-toolbar">
          <label>
            Measure
            <select
              value={measure}
              onChange={(e) =>
                setParams({
                  measure: e.currentTarget.value === 'shipped' ? 'shipped' : undefined,
                  lane: undefined,
                  warehouse: undefined,
                })
              }
            >
              <option value="committed">Committed shipments</option>
              <option value="shipped">Shipped (first ship scan)</option>
            </select>
          </label>
          <label>
            History
            <select
              value={String(history)}
              onChange={(e) =>
                setParams({ history: e.currentTarget.value === '56' ? undefined : e.currentTarget.value })
              }
            >
              {HISTORIES.map((h) => (
                <option key={h} value={String(h)}>
                  {h} days
                </option>
              ))}
            </select>
          </label>
          {csv && shown ? (
            <a class="fc-button" href={csv} download={csvFilename(shown)} id="fc-csv">
              Download CSV
            </a>
          ) : (
            <span class="fc-button fc-disabled" aria-disabled="true">
              Download CSV
            </span>
          )}
          <span class="fc-docs">
            <a href="/docs">API docs</a> · <a href="/api/forecasts/openapi.json">OpenAPI (JSON)</a>
          </span>
        </div>
      </header>
      {errors.lanes && (
        <p class="error" role="alert">
          Lanes could not load: {errors.lanes}
        </p>
      )}
      {!lanes && !errors.lanes && (
        <p class="empty" role="status">
          Loading lanes…
        </p>
      )}
      {lanes && list.length === 0 && (
        <p class="empty" role="status">
          No {measure} forecasts stored yet. <code>dockside up</code> forecasts every 6 hours (the first run a
          minute after start); <code>dockside forecast run</code> makes one now. This page checks again every
          few seconds.
        </p>
      )}
      {list.length > 0 && (
        <>
          <div class="fc-grid">
            <LanePicker
              lanes={list}
              total={lanes?.total ?? 0}
              q={q}
              onSearch={setQ}
              selected={currentKey}
              onPick={pick}
            />
            <div class="fc-main">
              <section
                class="pane fc-lane"
                aria-labelledby="fc-lane-title"
                aria-busy={!shown && !errors.series}
              >
                <h2 id="fc-lane-title">
                  {current
                    ? laneLabel(current.lane, current.warehouse)
                    : `Lane ${wantedLane ?? ''} has no forecast`}
                </h2>
                {current && (
                  <p class="fc-muted">
                    Forecast from {current.origin} for {current.horizon} days, run {when(current.createdAt)}.
                    {laneAlerts.map((a) => (
                      <span key={a.id} class={a.direction === 'up' ? 'fc-up' : 'fc-down'}>
                        {' '}
                        Next 7 days {a.direction} {Math.round(Math.abs(a.change) * 100)} % against the
                        previous forecast.
                      </span>
                    ))}
                  </p>
                )}
                {errors.series && (
                  <p class="error" role="alert">
                    {errors.series}
                  </p>
                )}
                {shown && view ? (
                  <>
                    <ForecastChart series={shown} rows={view.rows} levels={view.levels} />
                    <DayTable rows={view.rows} levels={view.levels} origin={shown.origin} />
                  </>
                ) : (
                  current &&
                  !errors.series && (
                    <p class="empty" role="status">
                      Loading the lane…
                    </p>
                  )
                )}
              </section>
              {shown && <ModelPanel series={shown} live={live} />}
            </div>
          </div>
          <AlertsPanel alerts={alerts?.data} total={alerts?.total ?? 0} error={errors.alerts} onPick={pick} />
          <AccuracyTable
            lanes={list}
            sort={sort}
            dir={dir}
            onSort={(by, d) =>
              setParams(
                { sort: by === 'lane' ? undefined : by, dir: d === 'asc' ? undefined : d },
                { replace: true },
              )
            }
            selected={currentKey}
            onPick={(l) => {
              pick(l);
              document.getElementById('fc-lane-title')?.scrollIntoView({ block: 'start' });
            }}
          />
        </>
      )}
    </section>
  );
}
