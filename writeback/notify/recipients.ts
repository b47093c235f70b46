import type { CustomerEntry, UserEntry } from '../directory/types.ts';

/**
 * Who must act on an approval step (pure). Addresses come only from the directories: a person without one
 * is reported as unreachable, never guessed.
 *  - account_owner: the customer's owner (the user `ownerUserId`), falling back to the customer's `ownerEmail`;
 *  - revops_manager: holders of the role whose regions include the customer's region or `*`;
 *  - any other role: every holder of it;
 *  - plus holders of the escalation role once the step has escalated.
 */
export interface UserLookup {
  get(userId: string): UserEntry | undefined;
  withRole(role: string): readonly UserEntry[];
}

export interface StepRef {
  readonly role: string;
  /** The step timed out once: the escalation role may act too. */
  readonly escalated?: boolean;
}

export type RecipientVia = 'owner' | 'owner_email' | 'role' | 'escalation';

export interface Recipient {
  readonly userId: string;
  readonly role: string;
  readonly via: RecipientVia;
  readonly email?: string;
  readonly slackId?: string;
}

export interface Recipients {
  /** People with an address, deduplicated by user, sorted by user id. */
  readonly reachable: Recipient[];
  /** People who must act but have no address in either directory. */
  readonly unreachable: Recipient[];
}

export interface RecipientOptions {
  /** DOCKSIDE_ESCALATION_ROLE (config.writeback.escalationRole). */
  readonly escalationRole: string;
  /** Users who may not act (the one who triggered the write-back): not told to. */
  readonly exclude?: readonly string[];
}

const REGION_SCOPED = new Set(['revops_manager']);

const covers = (u: UserEntry, region: string) => u.regions.includes('*') || u.regions.includes(region);

function fromUser(u: UserEntry, role: string, via: RecipientVia): Recipient {
  return {
    userId: u.userId,
    role,
    via,
    ...(u.email ? { email: u.email } : {}),
    ...(u.slackId ? { slackId: u.slackId } : {}),
  };
}

function holders(role: string, customer: CustomerEntry, users: UserLookup, via: RecipientVia): Recipient[] {
  if (role === 'account_owner') {
    const owner = users.get(customer.ownerUserId);
    if (owner?.email) return [fromUser(owner, role, 'owner')];
    const base = owner
      ? fromUser(owner, role, 'owner')
      : { userId: customer.ownerUserId, role, via: 'owner' as const };
    return [customer.ownerEmail ? { ...base, via: 'owner_email', email: customer.ownerEmail } : base];
  }
  const all = users.withRole(role);
  const scoped = REGION_SCOPED.has(role) ? all.filter((u) => covers(u, customer.region)) : all;
  return scoped.map((u) => fromUser(u, role, via));
}

export function recipientsFor(
  step: StepRef,
  customer: CustomerEntry,
  users: UserLookup,
  opts: RecipientOptions,
): Recipients {
  const found = holders(step.role, customer, users, 'role');
  if (step.escalated && opts.escalationRole !== step.role) {
    found.push(...holders(opts.escalationRole, customer, users, 'escalation'));
  }
  const excluded = new Set(opts.exclude ?? []);
  const byUser = new Map<string, Recipient>();
  for (const r of found) {
    if (excluded.has(r.userId)) continue;
    // The first reason a person is told wins (the step's own role before escalation).
    if (!byUser.has(r.userId)) byUser.set(r.userId, r);
  }
  const list = [...byUser.values()].sort((a, b) => (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0));
  return { reachable: list.filter((r) => r.email), unreachable: list.filter((r) => !r.email) };
}

/**
 * What a `notify` outbox command carries: user ids (their addresses are looked up when sending, so none travel
 * on the stream), the directory fallback addresses that have no user entry to look up, and Slack mentions.
 */
export function notifyTargets(r: Recipients): { recipients: string[]; emails: string[]; slackIds: string[] } {
  return {
    recipients: r.reachable.filter((x) => x.via !== 'owner_email').map((x) => x.userId),
    emails: r.reachable.flatMap((x) => (x.via === 'owner_email' && x.email ? [x.email] : [])),
    slackIds: [...r.reachable, ...r.unreachable].flatMap((x) => (x.slackId ? [x.slackId] : [])),
  };
}
