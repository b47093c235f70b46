import { useRef, useState } from 'preact/hooks';
import { api, query } from '../shared/api.ts';
import { usePoll } from '../shared/poll.ts';
import { setParams } from '../shared/router.ts';
import { Countdown, DueChips, useNow } from './clock.tsx';
import { FieldList } from './field-name.tsx';
import { roleLabel, typeLabel, writeLabel } from './format.ts';
import { Link } from './link.tsx';
import { loadMessage } from './messages.ts';
import type { ApprovalItem, ApprovalList } from './types.ts';

export type Tab = 'mine' | 'pending' | 'history';

export const tabs: readonly { readonly id: Tab; readonly label: string }[] = [
  { id: 'mine', label: 'Waiting for me' },
  { id: 'pending', label: 'All pending' },
  { id: 'history', label: 'My history' },
];

export const historyStatuses = ['', 'pending', 'approved', 'rejected', 'expired', 'withdrawn'] as const;

/** What each tab asks the API. */
export function listPath(tab: Tab, status: string): string {
  if (tab === 'mine') return `/api/approvals${query({ mine: 1, status: 'pending', limit: 200 })}`;
  if (tab === 'pending') return `/api/approvals${query({ status: 'pending', limit: 200 })}`;
  return `/api/approvals${query({ involved: 1, status, limit: 200 })}`;
}

const POLL_MS = 10_000;

/** The tabs, their counts and the rows; polled, and reloaded when `version` changes (after an action). */
export function ApprovalListPane(props: {
  tab: Tab;
  status: string;
  selected: string | undefined;
  version: number;
}) {
  const { tab, status } = props;
  const [list, setList] = useState<ApprovalList | undefined>();
  const [counts, setCounts] = useState<{ mine?: number; pending?: number }>({});
  const [error, setError] = useState<string | undefined>();
  const tabRefs = useRef<(HTMLButtonElement | null)[]>([]);

  usePoll(
    (live) => {
      api<ApprovalList>(listPath(tab, status)).then(
        (l) => {
          if (!live()) return;
          setList(l);
          setError(undefined);
        },
        (err: unknown) => {
          if (live()) setError(loadMessage('The approvals', err));
        },
      );
      Promise.all([
        api<ApprovalList>(`/api/approvals${query({ mine: 1, status: 'pending', limit: 1 })}`),
        api<ApprovalList>(`/api/approvals${query({ status: 'pending', limit: 1 })}`),
      ]).then(
        ([m, p]) => {
          if (live()) setCounts({ mine: m.total, pending: p.total });
        },
        () => undefined,
      );
    },
    POLL_MS,
    [tab, status, props.version],
  );

  const choose = (t: Tab) => setParams({ tab: t, status: undefined });
  const onKey = (e: KeyboardEvent, i: number) => {
    const step = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
    const to =
      e.key === 'Home' ? 0 : e.key === 'End' ? tabs.length - 1 : (i + step + tabs.length) % tabs.length;
    if (step === 0 && e.key !== 'Home' && e.key !== 'End') return;
    e.preventDefault();
    tabRefs.current[to]?.focus();
    choose((tabs[to] as { id: Tab }).id);
  };
  const count = (t: Tab) => (t === 'mine' ? counts.mine : t === 'pending' ? counts.pending : undefined);

  return (
    <div class="inbox-list">
      <div role="tablist" aria-label="Approvals" class="inbox-tabs">
        {tabs.map((t, i) => (
          <button
            key={t.id}
            type="button"
            role="tab"
            id={`inbox-tab-${t.id}`}
            aria-selected={t.id === tab}
            aria-controls="inbox-panel"
            tabIndex={t.id === tab ? 0 : -1}
            ref={(el) => {
              tabRefs.current[i] = el;
            }}
            onClick={() => choose(t.id)}
            onKeyDown={(e) => onKey(e, i)}
          >
            {t.label}
            {count(t.id) !== undefined ? <span class="count">{count(t.id)}</span> : null}
          </button>
        ))}
      </div>
      <div role="tabpanel" id="inbox-panel" aria-labelledby={`inbox-tab-${tab}`}>
        {tab === 'history' ? (
          <div class="toolbar">
            <label>
              Outcome
              <select
                value={status}
                onChange={(e) => setParams({ status: e.currentTarget.value || undefined })}
              >
                {historyStatuses.map((s) => (
                  <option key={s} value={s}>
                    {s === '' ? 'All' : s}
                  </option>
                ))}
              </select>
            </label>
          </div>
        ) : null}
        {error ? (
          <p class="error" role="alert">
            {error}
          </p>
        ) : null}
        {!list ? (
          <p class="empty">Loading approvals…</p>
        ) : list.items.length === 0 ? (
          <p class="empty">{emptyText(tab)}</p>
        ) : (
          <ul class="approvals" aria-label={tabs.find((t) => t.id === tab)?.label}>
            {list.items.map((a) => (
              <Row key={a.id} a={a} tab={tab} selected={a.id === props.selected} />
            ))}
          </ul>
        )}
        {list && list.total > list.items.length ? (
          <p class="muted">
            Showing the first {list.items.length} of {list.total}.
          </p>
        ) : null}
      </div>
    </div>
  );
}

function emptyText(tab: Tab): string {
  if (tab === 'mine') return 'Nothing waits for you.';
  if (tab === 'pending') return 'No approvals are pending.';
  return 'You have not decided or triggered any approval yet.';
}

/** One approval: what broke, whose step it is and until when, and what would be written. */
function Row(props: { a: ApprovalItem; tab: Tab; selected: boolean }) {
  const { a } = props;
  const now = useNow();
  const href = `/approvals/${a.id}?tab=${props.tab}`;
  const w = a.waitingFor;
  const rollbackOpen =
    a.write?.status === 'applied' &&
    a.write.rollbackClosesAt !== null &&
    Date.parse(a.write.rollbackClosesAt) > now;
  return (
    <li class={`approval${props.selected ? ' selected' : ''}`} data-id={a.id}>
      <Link href={href} current={props.selected}>
        <span class="title">{typeLabel(a.exceptionType)}</span>
        <span class="muted">
          {a.customerId}
          {a.shipmentId ? ` · ${a.shipmentId}` : ''}
        </span>
      </Link>
      <div class="meta">
        {w ? (
          <>
            <span>
              {a.canDecide ? 'Your step' : 'Waits for step'} {w.step + 1} of {a.steps.length}:{' '}
              {roleLabel(w.role)}
            </span>
            <DueChips deadline={w.deadline} escalated={w.escalated} />
          </>
        ) : (
          <>
            <span class={`chip status-${a.status}`}>{a.status}</span>
            {a.write ? <span class="chip">{writeLabel(a.write.status)}</span> : null}
            {rollbackOpen && a.write?.rollbackClosesAt ? (
              <span class="deadline">
                Rollback closes in <Countdown deadline={a.write.rollbackClosesAt} />
              </span>
            ) : null}
          </>
        )}
      </div>
      <FieldList label="Proposed CRM fields" fields={a.fields} />
    </li>
  );
}
