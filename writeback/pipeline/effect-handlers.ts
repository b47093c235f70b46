import { foldIntoIncident, type IncidentFolding } from '../notify/incident-fold.ts';
import type { CommandOf } from './commands.ts';
import type { DraftRecord, Effect } from './effects.ts';
import type { JsonKv } from './json-kv.ts';
import type { Directory, Targets, Users } from './ports.ts';

/**
 * How each non-field command reaches its target. Each returns the target's answer for the effect record,
 * or `held` with a reason when the target is off or has nowhere to deliver; errors propagate (the outbox
 * maps them to retry or failure).
 */
export type EffectRun =
  | { readonly kind: 'done'; readonly result: Effect['result'] }
  | { readonly kind: 'held'; readonly reason: string }
  /** A notice folded into the one already sent for its open incident (notify/incident-fold.ts). */
  | { readonly kind: 'folded'; readonly incidentId: string; readonly into: string };

export interface EffectDeps {
  readonly targets: Targets;
  readonly directory: Directory;
  readonly users: Users;
  readonly drafts: JsonKv<DraftRecord>;
  /** Notices per incident, not per member; absent: every notice goes out on its own. */
  readonly incidentFolding?: IncidentFolding;
}

export async function runTask(cmd: CommandOf<'crm_task'>, deps: EffectDeps): Promise<EffectRun> {
  const crm = deps.targets.crm;
  if (!crm) return { kind: 'held', reason: 'crm_not_configured' };
  const task = await crm.upsertTask(cmd.account, {
    key: cmd.id,
    subject: cmd.subject,
    description: cmd.description,
    priority: cmd.priority,
  });
  return { kind: 'done', result: { taskId: task.id, target: crm.target } };
}

export async function runJira(cmd: CommandOf<'jira'>, deps: EffectDeps): Promise<EffectRun> {
  const jira = deps.targets.jira;
  if (!jira) return { kind: 'held', reason: 'jira_not_configured' };
  const issue = await jira.createIssue({
    key: cmd.id,
    project: cmd.project,
    priority: cmd.priority,
    summary: cmd.summary,
    description: cmd.description,
    labels: ['dockside'],
  });
  return { kind: 'done', result: { issueKey: issue.key } };
}

/** Mail to the recipients' addresses (looked up now) and a post to the chat webhook; done if either took it. */
export async function runNotify(notice: CommandOf<'notify'>, deps: EffectDeps): Promise<EffectRun> {
  const { mail, slack } = deps.targets;
  if (!mail && !slack) return { kind: 'held', reason: 'no_notification_channel' };
  const decision = await foldIntoIncident(notice, deps.incidentFolding);
  if (decision.kind === 'folded') return decision;
  const cmd = decision.cmd;
  const addresses = new Set<string>(cmd.emails);
  for (const id of cmd.recipients) {
    const email = deps.users.get(id)?.email;
    if (email) addresses.add(email);
  }
  const result: Effect['result'] = {};
  if (mail && addresses.size > 0) {
    const sent = await mail.send({ to: [...addresses], subject: cmd.subject, text: cmd.text });
    result.mailAccepted = sent.accepted.length;
  }
  if (slack) {
    await slack.post({ text: cmd.slackText, ...(cmd.slackBlocks ? { blocks: cmd.slackBlocks } : {}) });
    result.slack = true;
  }
  if (Object.keys(result).length === 0) return { kind: 'held', reason: 'no_recipient_address' };
  return { kind: 'done', result };
}

/** Sends an approved customer update to the customer's contact address; held when there is none. */
export async function runCustomerUpdate(
  cmd: CommandOf<'customer_update'>,
  deps: EffectDeps,
): Promise<EffectRun> {
  const draft = (await deps.drafts.get(cmd.draftId))?.value;
  if (!draft) return { kind: 'held', reason: 'draft_missing' };
  if (draft.status === 'withdrawn') return { kind: 'held', reason: 'draft_withdrawn' };
  const contact = deps.directory.get(cmd.customerId)?.contactEmail;
  if (!deps.targets.mail) return { kind: 'held', reason: 'mail_not_configured' };
  if (!contact) return { kind: 'held', reason: 'no_customer_contact' };
  const sent = await deps.targets.mail.send({ to: [contact], subject: draft.subject, text: draft.text });
  return { kind: 'done', result: { mailAccepted: sent.accepted.length } };
}
