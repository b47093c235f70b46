import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../shared/api.ts';
import { useApi } from '../shared/poll.ts';
import { can, useMe } from '../shared/session.ts';
import { ColumnHeads } from '../shared/table.tsx';
import { Changes } from './changes.tsx';
import { Countdown, DueChips } from './clock.tsx';
import { DecisionForm } from './decide.tsx';
import { Draft } from './draft.tsx';
import { actionLabel, actorName, percent, roleLabel, stepLabel, typeLabel, whenLabel } from './format.ts';
import { Link } from './link.tsx';
import { loadMessage } from './messages.ts';
import type { ApprovalDetailView, Step } from './types.ts';
import { WritePanel } from './write.tsx';

const POLL_MS = 15_000;

interface ExceptionBrief {
  readonly severity: string;
  readonly status: string;
  readonly warehouseId?: string;
  readonly lane?: string;
  readonly occurredAt: string;
}

/**
 * One approval: the CRM fields as current → proposed, the decision (for the person whose step it is), the
 * write's state and rollback, the exception and its evidence, the customer update draft with its sources,
 * and who did what when.
 */
export function ApprovalDetail(props: { id: string; backHref: string; onChanged: () => void }) {
  const me = useMe();
  const [message, setMessage] = useState<{ text: string; refused: boolean } | undefined>();
  const [ex, setEx] = useState<ExceptionBrief | undefined>();
  const [version, setVersion] = useState(0);
  const title = useRef<HTMLHeadingElement>(null);
  const mayReadExceptions = can(me, 'exceptions:read');

  useEffect(() => setMessage(undefined), [props.id]);
  const { data: a, error } = useApi<ApprovalDetailView>(`/api/approvals/${props.id}`, POLL_MS, {
    deps: [version],
    errorMessage: (err) => loadMessage('This approval', err),
  });

  const exceptionId = a?.exceptionId;
  useEffect(() => {
    if (!exceptionId || !mayReadExceptions) return;
    api<ExceptionBrief>(`/api/exceptions/${encodeURIComponent(exceptionId)}`).then(setEx, () =>
      setEx(undefined),
    );
  }, [exceptionId, mayReadExceptions]);

  const loaded = a?.id;
  useEffect(() => {
    if (loaded) title.current?.focus();
  }, [loaded]);

  if (error && !a)
    return (
      <article class="pane detail">
        <Link class="back" href={props.backHref}>
          Back to the list
        </Link>
        <p class="error" role="alert">
          {error}
        </p>
      </article>
    );
  if (!a) return <p class="empty pane detail">Loading the approval…</p>;

  const reload = () => {
    setVersion((v) => v + 1);
    props.onChanged();
  };
  const w = a.waitingFor;
  const mayDecide = can(me, 'approvals:decide');
  return (
    <article class="pane detail" aria-labelledby="approval-title">
      <Link class="back" href={props.backHref}>
        Back to the list
      </Link>
      <h2 id="approval-title" tabIndex={-1} ref={title}>
        {typeLabel(a.exceptionType)} · {a.customerId}
      </h2>
      <p class="muted">
        {a.shipmentId ? `Shipment ${a.shipmentId} · ` : ''}
        {a.customerTier ? `${a.customerTier} · ` : ''}region {a.region} · confidence {percent(a.confidence)}
      </p>
      <div class="summary">
        <span class={`chip status-${a.status}`}>{a.status}</span>
        {w ? (
          <>
            <span>{stepLabel(a)}</span>
            <DueChips deadline={w.deadline} escalated={w.escalated} />
          </>
        ) : null}
      </div>
      {message?.refused ? (
        <p class="error" role="alert">
          {message.text}
        </p>
      ) : message ? (
        <p class="ok" role="status">
          {message.text}
        </p>
      ) : null}

      <Changes approval={a} />

      {a.draft ? <Draft draft={a.draft} /> : null}

      {a.status === 'pending' && mayDecide ? (
        a.canDecide ? (
          <DecisionForm
            approval={a}
            me={me.userId}
            onDone={(_next, text) => {
              setMessage({ text, refused: false });
              reload();
            }}
            onRefused={(text) => {
              setMessage({ text, refused: true });
              reload();
            }}
          />
        ) : (
          <p class="muted">You cannot decide this step: {a.cannotDecide}.</p>
        )
      ) : null}

      {a.status === 'approved' || a.write ? (
        <section aria-labelledby="write-title">
          <h3 id="write-title">CRM write</h3>
          <WritePanel
            writeId={a.writeId}
            approvalId={a.id}
            initial={a.write}
            expected={a.status === 'approved'}
            showValues={false}
            onChanged={reload}
          />
        </section>
      ) : null}

      <section aria-labelledby="steps-title">
        <h3 id="steps-title">Steps</h3>
        <ol class="steps">
          {a.steps.map((s, i) => (
            <li key={i} class={i === a.current && a.status === 'pending' ? 'current' : ''}>
              <StepLine step={s} />
            </li>
          ))}
        </ol>
      </section>

      <section aria-labelledby="exception-title">
        <h3 id="exception-title">Exception</h3>
        <p>
          {mayReadExceptions ? (
            <Link href={`/exceptions/${encodeURIComponent(a.exceptionId)}`}>
              {typeLabel(a.exceptionType)} on the exception board
            </Link>
          ) : (
            <code>{a.exceptionId}</code>
          )}
          {ex ? (
            <span class="muted">
              {' '}
              · severity {ex.severity} · {ex.status}
              {ex.warehouseId ? ` · ${ex.warehouseId}` : ''}
              {ex.lane ? ` · lane ${ex.lane}` : ''}
            </span>
          ) : null}
        </p>
        <p class="muted">Detected {whenLabel(a.detectedAt)}.</p>
        <h4>Evidence</h4>
        <ul class="evidence">
          {a.evidence.map((id) => (
            <li key={id}>
              <code>{id}</code>
            </li>
          ))}
        </ul>
      </section>

      <section aria-labelledby="history-title">
        <h3 id="history-title">History</h3>
        <table class="history">
          <thead>
            <tr>
              <ColumnHeads columns={['When', 'Who', 'What', 'Reason']} />
            </tr>
          </thead>
          <tbody>
            {a.history.map((h, i) => (
              <tr key={i}>
                <td>
                  <time dateTime={h.at}>{whenLabel(h.at)}</time>
                </td>
                <td>{actorName(a, h.actor)}</td>
                <td>
                  {actionLabel(h.action)}
                  {h.step !== undefined
                    ? ` (step ${h.step + 1}, ${roleLabel(a.steps[h.step]?.role ?? '')})`
                    : ''}
                </td>
                <td>{h.reason ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </article>
  );
}

function StepLine(props: { step: Step }) {
  const s = props.step;
  return (
    <>
      <strong>{roleLabel(s.role)}</strong> · {s.status}
      {s.by ? ` by ${s.by.name}` : ''}
      {s.at ? ` at ${whenLabel(s.at)}` : ''}
      {s.reason ? `: “${s.reason}”` : ''}
      {s.status === 'pending' && s.deadline ? (
        <>
          {' '}
          · due in <Countdown deadline={s.deadline} />
        </>
      ) : null}
      {s.escalated ? <span class="chip escalated">escalated</span> : null}
      {s.status === 'waiting' ? ` · ${s.timeoutMinutes} min once it starts` : ''}
    </>
  );
}
