import { useState } from 'preact/hooks';
import { api } from '../shared/api.ts';
import { ReasonForm, useReason } from '../shared/reason.tsx';
import { roleLabel } from './format.ts';
import { decisionMessage } from './messages.ts';
import type { ApprovalDetailView, ApprovalItem } from './types.ts';

/**
 * Approve or reject the step the person sees, with a required reason. The step is sent with the decision,
 * so a click on a step someone else already decided is refused (409) and said in plain words.
 */
export function DecisionForm(props: {
  approval: ApprovalDetailView;
  me: string;
  onDone: (next: ApprovalItem | undefined, message: string) => void;
  /** Refused (403/409): the message, kept by the caller while the approval is read again. */
  onRefused: (message: string) => void;
}) {
  const a = props.approval;
  const w = a.waitingFor;
  const form = useReason();
  const [busy, setBusy] = useState<'approve' | 'reject' | undefined>();
  if (!w) return null;
  const id = `reason-${a.id}`;
  const stepText = `step ${w.step + 1} of ${a.steps.length} (${roleLabel(w.role)})`;

  const submit = async (verdict: 'approve' | 'reject') => {
    const reason = form.take(`Write a reason to ${verdict}: it goes on the record with your name.`);
    if (reason === undefined) return;
    setBusy(verdict);
    try {
      const next = await api<ApprovalItem>(`/api/approvals/${a.id}/${verdict}`, {
        method: 'POST',
        body: { reason, step: w.step },
      });
      form.setReason('');
      props.onDone(next, doneMessage(verdict, next));
    } catch (err) {
      const fresh = await api<ApprovalItem>(`/api/approvals/${a.id}`).catch(() => undefined);
      props.onRefused(decisionMessage(verdict, err, fresh, props.me));
    } finally {
      setBusy(undefined);
    }
  };

  return (
    <ReasonForm
      id={id}
      class="decide"
      heading="h3"
      title={`Your decision: ${stepText}`}
      label="Reason (required, kept in the decision log)"
      rows={3}
      state={form}
      onSubmit={() => void submit('approve')}
    >
      <button type="submit" class="primary" disabled={busy !== undefined}>
        {busy === 'approve' ? 'Approving…' : `Approve step ${w.step + 1}`}
      </button>
      <button
        type="button"
        class="danger"
        disabled={busy !== undefined}
        onClick={() => {
          void submit('reject');
        }}
      >
        {busy === 'reject' ? 'Rejecting…' : 'Reject'}
      </button>
    </ReasonForm>
  );
}

function doneMessage(verdict: 'approve' | 'reject', next: ApprovalItem): string {
  if (verdict === 'reject') return 'Rejected: nothing will be written to the CRM.';
  if (next.status === 'approved') return 'Approved: the CRM write is on its way.';
  return next.waitingFor
    ? `Approved your step: it now waits for ${roleLabel(next.waitingFor.role)} (step ${next.waitingFor.step + 1}).`
    : `Approved: the approval is ${next.status}.`;
}
