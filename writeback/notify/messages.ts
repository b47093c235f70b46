import { type FieldValue, fmtClock, fmtTime, fmtValue, typeLabel } from './format.ts';
import { redactPii } from './redact.ts';
import { buildSlackBlocks, escapeMrkdwn, type SlackMessage } from './slack-blocks.ts';

/**
 * The texts of notifications to the people who must act (pure): approval needed, step escalated, approval
 * expired, write failed (dead-lettered), held. Each gives a mail (subject + plain text) and a Slack message
 * (fallback text + blocks with a link button). They carry ids and business facts only, never a customer's
 * contact details, and stay ASCII so they read the same in any mail client.
 */
export type NoticeKind =
  | 'approval_needed'
  | 'approval_escalated'
  | 'approval_expired'
  | 'write_failed'
  | 'held';

export interface Notice {
  readonly about: NoticeKind;
  readonly subject: string;
  readonly text: string;
  readonly slack: SlackMessage;
}

type Field = { readonly name: string; readonly value: string | number | boolean };

/** The parts of an approval record (writeback/approvals) a notice needs; an `Approval` fits as is. */
export interface ApprovalView {
  readonly id: string;
  readonly exceptionId: string;
  readonly exceptionType: string;
  readonly shipmentId?: string;
  readonly customerId: string;
  readonly steps: readonly {
    readonly role: string;
    readonly timeoutMinutes: number;
    readonly deadline?: string;
    readonly escalated?: boolean;
  }[];
  readonly current: number;
  readonly fields: readonly Field[];
}

export interface FailedWriteView {
  readonly writeId: string;
  readonly exceptionId: string;
  readonly exceptionType: string;
  readonly shipmentId?: string;
  readonly customerId: string;
  readonly fields: readonly Field[];
  readonly attempts: number;
  /** The CRM target (salesforce, webhook…) and its last error message. */
  readonly target: string;
  readonly error: string;
  readonly approvalId?: string;
}

/** A decision that was held (a `Decision` fits, plus the shipment when known). */
export interface HeldView {
  readonly exceptionId: string;
  readonly exceptionType: string;
  readonly shipmentId?: string;
  readonly customerId?: string;
  readonly reasonCode: string;
  readonly reason: string;
  readonly fields: readonly Field[];
}

export interface NoticeOptions {
  /** config.writeback.publicUrl, without a trailing slash. */
  readonly publicUrl: string;
  /** Current CRM values by policy field name, when read: shown as `current -> proposed`. */
  readonly currentValues?: Readonly<Record<string, FieldValue>>;
  /** Slack user ids to mention (recipients' slackId). */
  readonly mentions?: readonly string[];
  /** config.writeback.escalationRole, named in escalation notices. */
  readonly escalationRole?: string;
}

const about = (type: string, shipmentId: string | undefined, customerId: string | undefined) =>
  `${typeLabel(type)}${shipmentId ? ` ${shipmentId}` : ''}${customerId ? ` (${customerId})` : ''}`;

const link = (base: string, kind: string, id: string) =>
  `${base.replace(/\/+$/, '')}/${kind}/${encodeURIComponent(id)}`;

function fieldLines(fields: readonly Field[], current?: Readonly<Record<string, FieldValue>>): string[] {
  return fields.map((f) =>
    current && Object.hasOwn(current, f.name)
      ? `${f.name}: ${fmtValue(current[f.name])} -> ${fmtValue(f.value)}`
      : `${f.name} -> ${fmtValue(f.value)}`,
  );
}

interface Parts {
  readonly about: NoticeKind;
  readonly subject: string;
  readonly lead: string;
  readonly facts: readonly (readonly [string, string])[];
  /** A titled list (proposed fields), or none. */
  readonly list?: { readonly title: string; readonly lines: readonly string[] };
  readonly note?: string;
  readonly link: { readonly text: string; readonly url: string };
  readonly context: string;
}

function compose(p: Parts, mentions: readonly string[] = []): Notice {
  const mail = [
    p.lead,
    '',
    ...p.facts.map(([k, v]) => `${k}: ${v}`),
    ...(p.list && p.list.lines.length > 0
      ? ['', `${p.list.title}:`, ...p.list.lines.map((l) => `  - ${l}`)]
      : []),
    ...(p.note ? ['', p.note] : []),
    '',
    `${p.link.text}: ${p.link.url}`,
    '',
    p.context,
    '',
  ].join('\n');
  const tags = mentions.map((m) => `<@${escapeMrkdwn(m)}>`).join(' ');
  const sections = [
    `${tags ? `${tags} ` : ''}${escapeMrkdwn(p.lead)}`,
    ...(p.list && p.list.lines.length > 0
      ? [`*${escapeMrkdwn(p.list.title)}*\n${p.list.lines.map((l) => `- \`${escapeMrkdwn(l)}\``).join('\n')}`]
      : []),
    ...(p.note ? [escapeMrkdwn(p.note)] : []),
  ];
  const slack: SlackMessage = {
    text: `${escapeMrkdwn(p.subject)} <${p.link.url}|${escapeMrkdwn(p.link.text)}>`,
    blocks: buildSlackBlocks({
      title: p.subject,
      sections,
      fields: p.facts.map(([k, v]) => [k, escapeMrkdwn(v)] as const),
      context: escapeMrkdwn(p.context),
      button: p.link,
    }),
  };
  return { about: p.about, subject: p.subject, text: mail, slack };
}

function stepOf(a: ApprovalView) {
  const step = a.steps[a.current] ?? a.steps[a.steps.length - 1];
  return { step, n: Math.min(a.current, a.steps.length - 1) + 1, of: a.steps.length };
}

const exceptionFacts = (type: string, shipmentId: string | undefined, customerId: string | undefined) =>
  [
    ['Exception', typeLabel(type)],
    ...(shipmentId ? [['Shipment', shipmentId] as const] : []),
    ...(customerId ? [['Customer', customerId] as const] : []),
  ] as const;

export function approvalNeeded(a: ApprovalView, opts: NoticeOptions): Notice {
  const { step, n, of } = stepOf(a);
  const role = step?.role ?? 'approver';
  const due = step?.deadline;
  return compose(
    {
      about: 'approval_needed',
      subject: `Approval needed: ${about(a.exceptionType, a.shipmentId, a.customerId)}, ${role}${due ? ` by ${fmtClock(due)}` : ''}`,
      lead: `A CRM change for customer ${a.customerId} is waiting for approval by ${role}.`,
      facts: [
        ...exceptionFacts(a.exceptionType, a.shipmentId, a.customerId),
        ['Step', `${n} of ${of} (${role}${step?.escalated ? ', escalated' : ''})`],
        ...(due
          ? [['Due', fmtTime(due)] as const]
          : [['Time allowed', `${step?.timeoutMinutes ?? '?'} min`] as const]),
      ],
      list: { title: 'Proposed CRM fields', lines: fieldLines(a.fields, opts.currentValues) },
      link: { text: 'Approve or reject', url: link(opts.publicUrl, 'approvals', a.id) },
      context: `Approval ${a.id}, exception ${a.exceptionId}`,
    },
    opts.mentions,
  );
}

export function approvalEscalated(a: ApprovalView, opts: NoticeOptions): Notice {
  const { step, n, of } = stepOf(a);
  const role = step?.role ?? 'approver';
  const esc = opts.escalationRole ?? 'the escalation role';
  const due = step?.deadline;
  return compose(
    {
      about: 'approval_escalated',
      subject: `Escalated: ${about(a.exceptionType, a.shipmentId, a.customerId)}, ${role} step overdue`,
      lead: `Step ${n} of ${of} (${role}) passed its deadline without a decision; ${esc} may now decide it as well.`,
      facts: [
        ...exceptionFacts(a.exceptionType, a.shipmentId, a.customerId),
        ['Step', `${n} of ${of} (${role})`],
        ...(due ? [['Expires', fmtTime(due)] as const] : []),
      ],
      list: { title: 'Proposed CRM fields', lines: fieldLines(a.fields, opts.currentValues) },
      note: 'If nobody decides before it expires, nothing is written to the CRM.',
      link: { text: 'Approve or reject', url: link(opts.publicUrl, 'approvals', a.id) },
      context: `Approval ${a.id}, exception ${a.exceptionId}`,
    },
    opts.mentions,
  );
}

export function approvalExpired(a: ApprovalView, opts: NoticeOptions): Notice {
  const { step, n, of } = stepOf(a);
  const role = step?.role ?? 'approver';
  return compose(
    {
      about: 'approval_expired',
      subject: `Expired: ${about(a.exceptionType, a.shipmentId, a.customerId)}, CRM not changed`,
      lead: `The approval expired at step ${n} of ${of} (${role}); the proposed CRM change was not made.`,
      facts: [
        ...exceptionFacts(a.exceptionType, a.shipmentId, a.customerId),
        ['Expired step', `${n} of ${of} (${role})`],
      ],
      list: { title: 'Fields not written', lines: fieldLines(a.fields, opts.currentValues) },
      link: { text: 'See the approval', url: link(opts.publicUrl, 'approvals', a.id) },
      context: `Approval ${a.id}, exception ${a.exceptionId}`,
    },
    opts.mentions,
  );
}

export function writeFailed(w: FailedWriteView, opts: NoticeOptions): Notice {
  // The target's message is shown to people, so it gets the same redaction as anything else leaving Dockside.
  const error = redactPii(w.error).text.slice(0, 500);
  return compose(
    {
      about: 'write_failed',
      subject: `CRM write failed: ${about(w.exceptionType, w.shipmentId, w.customerId)} after ${w.attempts} attempt${w.attempts === 1 ? '' : 's'}`,
      lead: `The CRM change for customer ${w.customerId} could not be written to ${w.target} and was set aside (dead-lettered).`,
      facts: [
        ...exceptionFacts(w.exceptionType, w.shipmentId, w.customerId),
        ['Attempts', String(w.attempts)],
        ['Last error', error],
      ],
      list: { title: 'Fields not written', lines: fieldLines(w.fields, opts.currentValues) },
      note: 'Once the cause is fixed, an admin can re-drive it (POST /api/writebacks/<id>/redrive).',
      link: { text: 'See the write', url: link(opts.publicUrl, 'writebacks', w.writeId) },
      context: `Write ${w.writeId}, exception ${w.exceptionId}${w.approvalId ? `, approval ${w.approvalId}` : ''}`,
    },
    opts.mentions,
  );
}

export function held(h: HeldView, opts: NoticeOptions): Notice {
  return compose(
    {
      about: 'held',
      subject: `Held: ${about(h.exceptionType, h.shipmentId, h.customerId)}, ${h.reasonCode}`,
      lead: `Nothing was written to the CRM: ${redactPii(h.reason).text.replace(/[.\s]+$/, '')}.`,
      facts: [...exceptionFacts(h.exceptionType, h.shipmentId, h.customerId), ['Reason', h.reasonCode]],
      list: { title: 'Proposed CRM fields', lines: fieldLines(h.fields, opts.currentValues) },
      note: 'A person allowed to trigger write-back can still propose it from the exception.',
      link: { text: 'See the exception', url: link(opts.publicUrl, 'exceptions', h.exceptionId) },
      context: `Exception ${h.exceptionId}`,
    },
    opts.mentions,
  );
}
