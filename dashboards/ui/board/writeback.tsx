import { formatTime, keyLabel } from './model.ts';

/** `GET /api/exceptions/:id/writeback`. */
export interface History {
  readonly decisions: readonly {
    readonly at: string;
    readonly actor: string;
    readonly reasonCode: string;
    readonly reason: string;
    readonly outcome: string;
    readonly policyVersion: string;
    readonly rule?: string;
    readonly confidence?: number;
    readonly confidenceMin?: number;
    readonly fields: readonly { name: string; value: string | number | boolean }[];
    readonly approvalSteps: readonly { role: string; timeoutMinutes: number }[];
  }[];
  readonly log: readonly { at: string; kind: string; actor: string; reasonCode: string; ref: string }[];
}

/** The parts of `GET /api/approvals?exceptionId=` items the board shows. */
export interface Approval {
  readonly id: string;
  readonly status: string;
  readonly current: number;
  readonly steps: readonly { role: string; status: string; deadline?: string; by?: { name: string } }[];
  readonly waitingFor: { step: number; role: string; deadline: string | null } | null;
}

/** The parts of `GET /api/writebacks?exceptionId=` items the board shows. */
export interface Write {
  readonly id: string;
  readonly status: string;
  readonly target: string;
  readonly fields: readonly { name: string; value: string | number | boolean }[];
  readonly appliedAt?: string;
  readonly heldReason?: string;
  readonly failure?: string;
  readonly rolledBackAt?: string;
}

const OUTCOME: Record<string, string> = {
  approval: 'sent to approval',
  write: 'written to the CRM',
  held: 'held',
  fallback: 'fallback actions',
  none: 'nothing to do',
  withdraw: 'approvals withdrawn',
};

const fieldText = (fields: readonly { name: string; value: string | number | boolean }[]) =>
  fields.map((f) => `${f.name} = ${String(f.value)}`).join(', ');

/** The policy's decision (reason code and reason), the approval's status and step, the write's status. */
export function WritebackState(p: {
  history: History | undefined;
  approvals: readonly Approval[] | undefined;
  writes: readonly Write[] | undefined;
}) {
  const h = p.history;
  if (!h) return <p class="bd-muted">Loading the decision…</p>;
  const d = h.decisions.at(-1);
  return (
    <div class="bd-writeback">
      {d ? (
        <div class="bd-decision" data-reason-code={d.reasonCode}>
          <p>
            <span class="chip">{d.reasonCode}</span> <b>{OUTCOME[d.outcome] ?? d.outcome}</b>
          </p>
          {d.reason && <p>{d.reason}</p>}
          <p class="bd-muted">
            {d.fields.length ? `Proposed: ${fieldText(d.fields)}. ` : ''}
            {d.approvalSteps.length ? `Steps: ${d.approvalSteps.map((s) => s.role).join(' → ')}. ` : ''}
            Policy {d.policyVersion} · {formatTime(d.at)}
          </p>
        </div>
      ) : (
        <p class="bd-muted">No write-back decision yet.</p>
      )}
      {p.approvals && p.approvals.length > 0 && (
        <ul class="bd-plain" aria-label="Approvals">
          {p.approvals.map((a) => (
            <li key={a.id} data-approval-status={a.status}>
              Approval <span class="chip">{a.status}</span>{' '}
              {a.waitingFor
                ? `step ${a.waitingFor.step + 1} of ${a.steps.length}: waiting for ${keyLabel(a.waitingFor.role)}${
                    a.waitingFor.deadline ? ` until ${formatTime(a.waitingFor.deadline)}` : ''
                  }`
                : `${a.steps.filter((s) => s.status === 'approved').length} of ${a.steps.length} steps approved`}{' '}
              <a href={`/approvals/${encodeURIComponent(a.id)}`}>open</a>
            </li>
          ))}
        </ul>
      )}
      {p.writes && p.writes.length > 0 && (
        <ul class="bd-plain" aria-label="CRM writes">
          {p.writes.map((w) => (
            <li key={w.id} data-write-status={w.status}>
              Write to {w.target} <span class="chip">{w.status}</span> {fieldText(w.fields)}
              {w.appliedAt ? ` · applied ${formatTime(w.appliedAt)}` : ''}
              {w.heldReason ? ` · held: ${w.heldReason}` : ''}
              {w.failure ? ` · failed: ${w.failure}` : ''}
              {w.rolledBackAt ? ` · rolled back ${formatTime(w.rolledBackAt)}` : ''}
            </li>
          ))}
        </ul>
      )}
      {h.log.length > 0 && (
        <details class="bd-log">
          <summary>Decision log ({h.log.length})</summary>
          <ol>
            {h.log.map((l) => (
              <li key={`${l.at}-${l.kind}-${l.ref}`}>
                <time dateTime={l.at}>{formatTime(l.at)}</time> {l.kind.replace(/_/g, ' ')}
                {l.reasonCode ? ` (${l.reasonCode})` : ''} · {l.actor}
              </li>
            ))}
          </ol>
        </details>
      )}
    </div>
  );
}
