import { isoText, pad2, splitDuration } from '../shared/format.ts';
import type { ApprovalItem, FieldValue, WriteStatus } from './types.ts';

export { typeLabel } from '../shared/format.ts';

/** Words for the inbox: roles, types, values, times and countdowns (pure; no DOM). */
const roleNames: Readonly<Record<string, string>> = {
  revops_manager: 'RevOps manager',
  account_owner: 'Account owner',
  admin: 'Admin',
  ops_dispatch_manager: 'Dispatch manager',
  ops_exception_lead: 'Exception lead',
};

export function roleLabel(role: string): string {
  return roleNames[role] ?? role.replace(/_/g, ' ');
}

export function valueLabel(v: FieldValue | undefined): string {
  if (v === undefined) return 'unknown';
  if (v === null || v === '') return '(empty)';
  return String(v);
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const clock = new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' });

export function whenLabel(iso: string | null | undefined): string {
  return isoText(iso, (ms) => dateTime.format(ms));
}

export function clockLabel(iso: string | null | undefined): string {
  return isoText(iso, (ms) => clock.format(ms));
}

/** `1:02:03`, `12:05`, `0:09`: what is left until a deadline (0:00 once passed). */
export function countdownLabel(msLeft: number): string {
  const { h, m, s } = splitDuration(msLeft);
  return h > 0 ? `${h}:${pad2(m)}:${pad2(s)}` : `${m}:${pad2(s)}`;
}

/** Spoken form for screen readers: "29 minutes 59 seconds". */
export function durationWords(msLeft: number): string {
  const { h, m, s } = splitDuration(msLeft);
  const parts = [
    h ? `${h} hour${h === 1 ? '' : 's'}` : '',
    m ? `${m} minute${m === 1 ? '' : 's'}` : '',
    !h && (s || !m) ? `${s} second${s === 1 ? '' : 's'}` : '',
  ].filter(Boolean);
  return parts.join(' ');
}

/** Under five minutes a countdown turns red. */
export const URGENT_MS = 5 * 60_000;

export function percent(x: number): string {
  return `${Math.round(x * 100)} %`;
}

/** Who did it, by name when the approval knows it (the person who decided a step). */
export function actorName(a: Pick<ApprovalItem, 'steps'>, actor: string): string {
  if (actor === 'system:policy') return 'Policy';
  if (actor.startsWith('system:')) return `System (${actor.slice('system:'.length)})`;
  return a.steps.find((s) => s.by?.userId === actor)?.by?.name ?? actor;
}

const actionWords: Readonly<Record<string, string>> = {
  created: 'Created',
  approved: 'Approved',
  rejected: 'Rejected',
  escalated: 'Escalated (deadline passed)',
  expired: 'Expired',
  withdrawn: 'Withdrawn',
  write_enqueued: 'CRM write queued',
};

export function actionLabel(action: string): string {
  return actionWords[action] ?? action;
}

const writeWords: Readonly<Record<WriteStatus, string>> = {
  queued: 'Queued for the CRM',
  prepared: 'Writing to the CRM',
  applied: 'Applied in the CRM',
  failed: 'Failed',
  held: 'Held',
  rolling_back: 'Rolling back',
  rolled_back: 'Rolled back',
};

export function writeLabel(status: WriteStatus): string {
  return writeWords[status];
}

/** "Step 2 of 2 · Account owner" for a pending approval. */
export function stepLabel(a: Pick<ApprovalItem, 'steps' | 'waitingFor'>): string {
  if (!a.waitingFor) return '';
  return `Step ${a.waitingFor.step + 1} of ${a.steps.length} · ${roleLabel(a.waitingFor.role)}`;
}
