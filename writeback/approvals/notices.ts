import { approvalEscalated, approvalExpired, approvalNeeded, type Notice } from '../notify/messages.ts';
import { notifyTargets, recipientsFor } from '../notify/recipients.ts';
import type { CommandOf } from '../pipeline/commands.ts';
import type { Users } from '../pipeline/ports.ts';
import type { Approval } from './approval.ts';
import type { Notices } from './service.ts';

/**
 * Who must act on an approval's current step and what they are told, as a `notify` outbox command (one
 * per approval, step and kind of notice: a redelivery or a second sweeper sends nothing twice).
 */
export function approvalNotices(deps: {
  readonly users: Users;
  readonly publicUrl: string;
  readonly escalationRole: string;
}): Notices {
  return (a, customer, about) => {
    const step = a.steps[a.current];
    if (!step || !customer) return undefined;
    const opts = { publicUrl: deps.publicUrl, escalationRole: deps.escalationRole };
    // An expired approval tells whoever could have acted; a pending one, who can act now.
    const who = recipientsFor({ role: step.role, escalated: step.escalated }, customer, deps.users, {
      escalationRole: deps.escalationRole,
      exclude: a.triggeredBy.startsWith('system:') ? [] : [a.triggeredBy],
    });
    const targets = notifyTargets(who);
    const notice: Notice =
      about === 'approval_needed'
        ? approvalNeeded(a, { ...opts, mentions: targets.slackIds })
        : about === 'approval_escalated'
          ? approvalEscalated(a, { ...opts, mentions: targets.slackIds })
          : approvalExpired(a, opts);
    return toCommand(notice, a, targets, `nt-${a.id}-s${a.current}-${about}`);
  };
}

export function toCommand(
  notice: Notice,
  a: Pick<Approval, 'exceptionId' | 'policyVersion' | 'evidence' | 'detectedAt'> & { id?: string },
  targets: { recipients: string[]; emails: string[] },
  id: string,
): CommandOf<'notify'> {
  return {
    kind: 'notify',
    id,
    exceptionId: a.exceptionId,
    policyVersion: a.policyVersion,
    evidence: [...a.evidence],
    detectedAt: a.detectedAt,
    ...(a.id ? { approvalId: a.id } : {}),
    recipients: targets.recipients,
    emails: targets.emails,
    subject: notice.subject,
    text: notice.text,
    slackText: notice.slack.text,
    ...(notice.slack.blocks ? { slackBlocks: notice.slack.blocks } : {}),
    about: notice.about,
  };
}
