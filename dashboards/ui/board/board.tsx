import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, errorText } from '../shared/api.ts';
import { navigate, setParams, useLocation } from '../shared/router.ts';
import { can, useMe } from '../shared/session.ts';
import { type AlertSettings, useAlertSettings } from './alerts.ts';
import { Detail } from './detail.tsx';
import { ActionDialog, type DialogKind } from './dialogs.tsx';
import { FilterBar } from './filters.tsx';
import { HeatStrip } from './heat.tsx';
import { IncidentList } from './incident-list.tsx';
import {
  expectedVersions,
  groupedIds,
  type Incident,
  type IncidentAction,
  type IncidentActionReply,
  incidentQuery,
  newer,
  outcomeText,
  visibleIncidents,
} from './incidents.ts';
import { keyHelp, useBoardKeys } from './keys.ts';
import { ExceptionList } from './list.tsx';
import type { LiveState } from './live.ts';
import { type Exception, filtersFrom, typeLabel } from './model.ts';
import { useBoard } from './use-board.ts';
import { useIncidents } from './use-incidents.ts';
import './board.css';

const enc = encodeURIComponent;
const LIVE_TEXT: Record<LiveState, string> = {
  live: 'Live',
  connecting: 'Connecting…',
  reconnecting: 'Reconnecting…',
};

/**
 * The exception board (dispatch leads, exception leads): the live list with its heat strip and filters
 * (kept in the URL), and the selected exception's detail (/exceptions/:id). With `?group=incidents` the open
 * incidents come first, each expandable to its members, and the exceptions in none follow. Assign and
 * resolve (of exceptions and of incidents) are shown only to people with `exceptions:act`; the server
 * refuses the others anyway.
 */
export function Board(props: { selected?: string | undefined }) {
  const me = useMe();
  const loc = useLocation();
  const filters = filtersFrom(loc.params);
  const grouping = filters.group === 'incidents';
  const incidents = useIncidents(grouping, incidentQuery(filters));
  const data = useBoard(filters, incidents.changed);
  const canAct = can(me, 'exceptions:act');
  const listed = incidents.list?.items;
  /** Members of a listed incident are shown under it, not in the list of the others. */
  const grouped = useMemo(() => (listed ? groupedIds(listed) : undefined), [listed]);
  const rows = useMemo(() => {
    const all = data.store.sorted(filters.sort);
    return grouped ? all.filter((r) => !grouped.has(r.ex.id)) : all;
  }, [data.version, filters.sort, grouped]);
  const shownIncidents = useMemo(
    () =>
      visibleIncidents(listed ?? [], (id) => data.store.get(id) !== undefined, data.store.size >= data.total),
    [listed, data.version, data.total],
  );
  /** The keyboard cursor follows its exception as live rows move; its index is the fallback. */
  const [cursor, setCursor] = useState<{ id?: string; index: number }>({ index: 0 });
  const [reveal, setReveal] = useState(0);
  const [selection, setSelection] = useState<ReadonlySet<string>>(new Set());
  /** An action's dialog: for exceptions (`ids`), or for every member of an incident. */
  const [dialog, setDialog] = useState<
    { kind: DialogKind; ids: string[]; incident?: Incident | undefined } | undefined
  >();
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState('');
  const [alerts, setAlerts] = useAlertSettings();
  const openId = props.selected;
  const search = loc.params.toString() ? `?${loc.params.toString()}` : '';
  const byId = cursor.id === undefined ? -1 : rows.findIndex((r) => r.ex.id === cursor.id);
  const at = byId >= 0 ? byId : Math.min(cursor.index, Math.max(0, rows.length - 1));
  const picked = [...selection].filter((id) => data.store.get(id));

  // The open exception (a link, back/forward) is where the cursor is.
  useEffect(() => {
    if (openId) setCursor((c) => (c.id === openId ? c : { id: openId, index: c.index }));
  }, [openId]);

  const hrefOf = (id: string) => `/exceptions/${enc(id)}${search}`;
  const open = (id: string, index: number, replace = false) => {
    setCursor({ id, index });
    navigate(hrefOf(id), { replace });
  };
  const close = () => navigate(`/board${search}`);
  /** What a single action applies to: the selection, else the open exception, else the cursor row. */
  const targets = (): string[] => {
    if (picked.length) return picked;
    const id = openId ?? rows[at]?.ex.id;
    return id ? [id] : [];
  };
  const subject = (ids: string[]) => {
    if (ids.length !== 1) return `${ids.length} exceptions`;
    const ex = data.store.get(ids[0] ?? '');
    return ex ? `${typeLabel(ex.type)} ${ex.shipmentId ?? ex.sku ?? ''}`.trim() : (ids[0] ?? '');
  };

  const act = async (ids: string[], kind: DialogKind, value: string) => {
    if (!ids.length) return;
    setBusy(true);
    setMessage(`${kind === 'assign' ? 'Assigning' : 'Resolving'} ${subject(ids)}…`);
    const failed: string[] = [];
    let done = 0;
    const queue = [...ids];
    const worker = async () => {
      for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
        // The version on screen: if someone changed the exception since, the API refuses (409) instead of overwriting.
        const expectedVersion = data.store.get(id)?.version;
        const body = {
          ...(kind === 'assign' ? { assignee: value } : { resolution: value }),
          expectedVersion,
        };
        try {
          data.put(await api<Exception>(`/api/exceptions/${enc(id)}/${kind}`, { method: 'POST', body }));
          done++;
        } catch (err) {
          failed.push(errorText(err));
        }
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    setBusy(false);
    const verb = kind === 'assign' ? 'Assigned' : 'Resolved';
    setMessage(
      `${verb} ${done} of ${ids.length}.${failed.length ? ` Not done: ${failed.slice(0, 3).join('; ')}` : ''}`,
    );
    if (ids.length > 1 || picked.length) setSelection(new Set());
  };
  /** Assign or resolve every member of an incident; the answer says what happened to each. */
  const actOnIncident = async (incident: Incident, kind: IncidentAction, value: string) => {
    setBusy(true);
    setMessage(`${kind === 'assign' ? 'Assigning' : 'Resolving'} the incident “${incident.title}”…`);
    const members = new Map(incidents.details.get(incident.id)?.members.map((m) => [m.id, m]));
    const body = {
      ...(kind === 'assign' ? { assignee: value } : { resolution: value }),
      // The versions on screen: a member someone changed since is reported, not overwritten.
      expectedVersions: expectedVersions(incident.memberIds, (id) =>
        newer(data.store.get(id), members.get(id)),
      ),
    };
    try {
      const reply = await api<IncidentActionReply>(`/api/incidents/${enc(incident.id)}/${kind}`, {
        method: 'POST',
        body,
      });
      setMessage(`Incident “${incident.title}”: ${outcomeText(kind, reply)}.`);
    } catch (err) {
      setMessage(
        `Incident “${incident.title}” not ${kind === 'assign' ? 'assigned' : 'resolved'}: ${errorText(err)}`,
      );
    }
    setBusy(false);
    incidents.refresh();
  };
  const assignMe = () => void act(targets(), 'assign', 'me');
  const ask = (kind: DialogKind) => {
    const ids = targets();
    if (ids.length) setDialog({ kind, ids });
  };
  const toggle = (id: string) => {
    const next = new Set(selection);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setSelection(next);
  };

  useBoardKeys(
    {
      move(delta) {
        if (!rows.length) return;
        const next = Math.min(rows.length - 1, Math.max(0, at + delta));
        const id = rows[next]?.ex.id;
        setCursor({ ...(id ? { id } : {}), index: next });
        setReveal((r) => r + 1);
        if (openId && id) navigate(hrefOf(id), { replace: true });
      },
      open() {
        const id = rows[at]?.ex.id;
        if (id) open(id, at);
      },
      assignMe,
      resolve: () => ask('resolve'),
      toggle() {
        const id = rows[at]?.ex.id;
        if (id) toggle(id);
      },
      escape() {
        if (openId) close();
        else if (selection.size) setSelection(new Set());
      },
    },
    { act: canAct },
  );

  const warehouses = [...new Set(data.counts.map((c) => c.warehouseId))];
  const lanes = useMemo(() => data.store.distinct('lane'), [data.version]);
  const customers = useMemo(() => data.store.distinct('customerId'), [data.version]);
  return (
    <section class={`board${openId ? ' has-detail' : ''}`} aria-labelledby="board-title">
      <div class="bd-head">
        <h1 id="board-title">Exception board</h1>
        <span
          id="live"
          role="status"
          class={`bd-live ${data.live === 'live' ? 'on status-live' : 'off status-down'}`}
          data-state={data.live}
        >
          {LIVE_TEXT[data.live]}
        </span>
        <span class="bd-count">
          {data.loading && !data.store.size
            ? 'Loading…'
            : `${data.total.toLocaleString()} exception${data.total === 1 ? '' : 's'}`}
          {data.store.size < data.total ? ` · showing the first ${data.store.size.toLocaleString()}` : ''}
        </span>
        <AlertToggles settings={alerts} onChange={setAlerts} />
      </div>
      <p class="bd-keys" id="board-keys">
        Keys:{' '}
        {keyHelp
          .filter(([k]) => canAct || !['a', 'r', 'x'].includes(k))
          .map(([k, what]) => (
            <span key={k}>
              <kbd>{k}</kbd> {what}
            </span>
          ))}
      </p>
      <FilterBar filters={filters} warehouses={warehouses} lanes={lanes} customers={customers} />
      <HeatStrip
        cells={data.counts}
        type={filters.type}
        warehouseId={filters.warehouseId}
        onPick={(t, w) =>
          filters.type === t && filters.warehouseId === w
            ? setParams({ type: '', warehouseId: '' })
            : setParams({ type: t, warehouseId: w })
        }
      />
      {canAct && picked.length > 0 && (
        <fieldset class="bd-bulk">
          <legend class="sr-only">Act on the selected exceptions</legend>
          <b>{picked.length} selected</b>
          <button type="button" class="primary" disabled={busy} onClick={assignMe}>
            Assign to me
          </button>
          <button type="button" disabled={busy} onClick={() => ask('assign')}>
            Assign to…
          </button>
          <button type="button" disabled={busy} onClick={() => ask('resolve')}>
            Resolve…
          </button>
          <button type="button" class="link" onClick={() => setSelection(new Set())}>
            Clear selection
          </button>
        </fieldset>
      )}
      <p class="bd-message" role="status">
        {message}
      </p>
      {data.error && (
        <p class="error" role="alert">
          The board could not load: {data.error}
        </p>
      )}
      <div class={`split bd-split${openId ? '' : ' no-detail'}`}>
        <div class={`pane bd-list-pane${grouping ? ' grouped' : ''}`}>
          {grouping && (
            <>
              <IncidentList
                incidents={shownIncidents}
                total={incidents.list?.total ?? 0}
                listed={listed?.length ?? 0}
                loading={!incidents.list || (data.loading && !data.store.size)}
                error={incidents.error}
                details={incidents.details}
                expanded={incidents.expanded}
                filters={filters}
                latest={(id) => data.store.get(id)}
                isFresh={(id, now) => data.store.isFresh(id, now)}
                openId={openId}
                selection={selection}
                canAct={canAct}
                busy={busy}
                hrefOf={hrefOf}
                onToggle={incidents.toggle}
                onAct={(incident, kind) => setDialog({ kind, ids: [], incident })}
                onOpen={(id) => navigate(hrefOf(id))}
                onSelect={toggle}
              />
              <h2 class="bd-sub" id="ungrouped-title">
                Not in an incident <span class="bd-muted">({rows.length.toLocaleString()})</span>
              </h2>
            </>
          )}
          <ExceptionList
            label={grouping ? 'Exceptions not in an incident' : undefined}
            empty={grouping ? 'Every exception on the board is in an incident above.' : undefined}
            rows={rows}
            store={data.store}
            version={data.version}
            cursor={at}
            reveal={reveal}
            openId={openId}
            selection={selection}
            canAct={canAct}
            hrefOf={hrefOf}
            onOpen={(id, index) => open(id, index)}
            onToggle={toggle}
            onToggleAll={() =>
              setSelection(picked.length >= rows.length ? new Set() : new Set(rows.map((r) => r.ex.id)))
            }
          />
        </div>
        {openId && (
          <Detail
            id={openId}
            known={data.store.get(openId)}
            canAct={canAct}
            busy={busy}
            onClose={close}
            onAssignMe={() => void act([openId], 'assign', 'me')}
            onAssignTo={() => setDialog({ kind: 'assign', ids: [openId] })}
            onResolve={() => setDialog({ kind: 'resolve', ids: [openId] })}
          />
        )}
      </div>
      {dialog && (
        <ActionDialog
          kind={dialog.kind}
          subject={dialog.incident ? `incident ${dialog.incident.title}` : subject(dialog.ids)}
          people={data.store.distinct('assignedTo')}
          hint={
            dialog.incident
              ? `Applies to each open or assigned member (${dialog.incident.counts.open + dialog.incident.counts.assigned}), each with its own record.`
              : undefined
          }
          onSubmit={(value) => {
            const incident = dialog.incident;
            if (incident) void actOnIncident(incident, dialog.kind, value);
            else void act(dialog.ids, dialog.kind, value);
          }}
          onClose={() => setDialog(undefined)}
        />
      )}
    </section>
  );
}

function AlertToggles(p: { settings: AlertSettings; onChange(next: AlertSettings): void }) {
  const notifications = 'Notification' in window;
  /** One alert switched on or off. */
  const check = (key: 'sound' | 'notify', label: string) => (
    <label class="bd-check">
      <input
        type="checkbox"
        checked={p.settings[key]}
        onChange={(e) => p.onChange({ ...p.settings, [key]: e.currentTarget.checked })}
      />
      {label}
    </label>
  );
  return (
    <fieldset class="bd-alerts">
      <legend class="sr-only">Alerts for new critical exceptions</legend>
      {check('sound', 'Beep on new critical')}
      {notifications && check('notify', 'Notify on new critical')}
    </fieldset>
  );
}
