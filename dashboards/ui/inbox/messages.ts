import { ApiError, errorText } from '../shared/api.ts';
import { actionLabel, actorName, roleLabel } from './format.ts';
import type { ApprovalItem } from './types.ts';

/**
 * What a person reads when the server refuses an approve / reject / roll back (403, 409, …): plain words,
 * naming who got there first when the approval, read again, says so.
 */
export function decisionMessage(
  verdict: 'approve' | 'reject',
  err: unknown,
  fresh: ApprovalItem | undefined,
  me: string,
): string {
  if (!(err instanceof ApiError)) return `Could not ${verdict}: ${String(err)}`;
  switch (err.code) {
    case 'APPROVAL_STEP_MOVED':
    case 'APPROVAL_CONFLICT':
    case 'APPROVAL_NOT_PENDING':
      return movedOn(fresh, me) ?? `Someone else decided first: ${err.message}`;
    case 'SELF_APPROVAL':
      return 'You triggered this write-back, so you cannot decide it: another person must.';
    case 'SAME_APPROVER':
      return 'You already decided an earlier step of this approval; each step needs a different person.';
    case 'NOT_YOUR_ACCOUNT':
      return `This account is not yours to decide: ${err.message}.`;
    case 'WRONG_ROLE':
      return `Your roles cannot decide this step: ${err.message}.`;
    case 'FORBIDDEN':
      return 'Your roles do not allow deciding approvals.';
    case 'APPROVAL_NOT_FOUND':
      return 'This approval no longer exists or is not yours to see.';
    default:
      return `Could not ${verdict} (${err.status} ${err.code}): ${err.message}`;
  }
}

/** "Rita Revops already approved this step at 10:12." from the approval read again after a conflict. */
function movedOn(a: ApprovalItem | undefined, me: string): string | undefined {
  if (!a) return undefined;
  const last = [...a.history].reverse().find((h) => h.actor !== me);
  const who = last ? actorName(a, last.actor) : undefined;
  const when = last ? new Date(last.at).toLocaleTimeString() : '';
  if (last && (last.action === 'approved' || last.action === 'rejected')) {
    const next =
      a.status === 'pending' && a.waitingFor
        ? ` It now waits for ${roleLabel(a.waitingFor.role)} (step ${a.waitingFor.step + 1}).`
        : ` The approval is ${a.status}.`;
    return `${who} already ${last.action} this step at ${when}.${next}`;
  }
  if (a.status !== 'pending') {
    return `This approval is already ${a.status}${last ? ` (${actionLabel(last.action).toLowerCase()} by ${who} at ${when})` : ''}.`;
  }
  return undefined;
}

export function rollbackMessage(err: unknown): string {
  if (!(err instanceof ApiError)) return `Could not roll back: ${String(err)}`;
  switch (err.code) {
    case 'ROLLBACK_CONFLICT':
      return `Not rolled back: ${err.message}.`;
    case 'ROLLBACK_WINDOW_CLOSED':
      return `The rollback window has closed: ${err.message}.`;
    case 'ALREADY_ROLLED_BACK':
      return `Already rolled back: ${err.message}.`;
    case 'ROLLBACK_DISABLED':
      return 'The policy does not allow rollback.';
    case 'CRM_NOT_CONFIGURED':
      return 'No CRM is configured, so nothing can be rolled back.';
    case 'FORBIDDEN':
      return `You may not roll back this write: ${err.message}.`;
    default:
      return `Could not roll back (${err.status} ${err.code}): ${err.message}`;
  }
}

/** A loading failure as one sentence. */
export function loadMessage(what: string, err: unknown): string {
  if (err instanceof ApiError && err.status === 404) return `${what} does not exist or is not yours to see.`;
  return `Could not load ${what.toLowerCase()}: ${errorText(err)}`;
}
