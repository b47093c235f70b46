import { describe, expect, it } from 'vitest';
import { type CustomerEntry, type UserEntry, userEntrySchema } from '../../writeback/mod.ts';
import { notifyTargets, recipientsFor, type UserLookup } from '../../writeback/notify/recipients.ts';

const users: UserEntry[] = [
  {
    userId: 'owner-ana',
    name: 'Ana Owner',
    email: 'ana@example.com',
    roles: ['account_owner'],
    regions: [],
    slackId: 'U0ANA',
  },
  { userId: 'owner-bo', name: 'Bo Owner', roles: ['account_owner'], regions: [] },
  {
    userId: 'rev-mid',
    name: 'Rev Midwest',
    email: 'rev.mid@example.com',
    roles: ['revops_manager'],
    regions: ['us-midwest'],
  },
  {
    userId: 'rev-se',
    name: 'Rev Southeast',
    email: 'rev.se@example.com',
    roles: ['revops_manager'],
    regions: ['us-southeast'],
  },
  {
    userId: 'rev-all',
    name: 'Rev Lead',
    email: 'rev.lead@example.com',
    roles: ['revops_manager', 'admin'],
    regions: ['*'],
  },
  {
    userId: 'rev-nomail',
    name: 'Rev Silent',
    roles: ['revops_manager'],
    regions: ['us-midwest'],
    slackId: 'U0SILENT',
  },
  { userId: 'adm', name: 'Admin', email: 'admin@example.com', roles: ['admin'], regions: [] },
  {
    userId: 'ops-1',
    name: 'Ops Lead',
    email: 'ops@example.com',
    roles: ['ops_exception_lead'],
    regions: ['us-west'],
  },
].map((u) => userEntrySchema.parse(u));

const lookup: UserLookup = {
  get: (id) => users.find((u) => u.userId === id),
  withRole: (role) => users.filter((u) => u.roles.includes(role)),
};

const customer = (o: Partial<CustomerEntry> = {}): CustomerEntry => ({
  customerId: 'CUST-001',
  crmAccountId: '001000000000001AAA',
  ownerUserId: 'owner-ana',
  region: 'us-midwest',
  tier: 'tier1',
  attributes: {},
  ...o,
});

const opts = { escalationRole: 'admin' };
const ids = (xs: readonly { userId: string }[]) => xs.map((x) => x.userId);

describe('who must act on an approval step', () => {
  it('account_owner: the customer’s owner from the user directory', () => {
    const r = recipientsFor({ role: 'account_owner' }, customer(), lookup, opts);
    expect(r.reachable).toEqual([
      {
        userId: 'owner-ana',
        role: 'account_owner',
        via: 'owner',
        email: 'ana@example.com',
        slackId: 'U0ANA',
      },
    ]);
    expect(r.unreachable).toEqual([]);
  });

  it('account_owner without an e-mail in the user directory: the customer’s ownerEmail', () => {
    const r = recipientsFor(
      { role: 'account_owner' },
      customer({ ownerUserId: 'owner-bo', ownerEmail: 'bo@example.com' }),
      lookup,
      opts,
    );
    expect(r.reachable).toEqual([
      { userId: 'owner-bo', role: 'account_owner', via: 'owner_email', email: 'bo@example.com' },
    ]);
    expect(notifyTargets(r)).toEqual({ recipients: [], emails: ['bo@example.com'], slackIds: [] });
  });

  it('account_owner with no address anywhere is unreachable; no address is invented', () => {
    const known = recipientsFor(
      { role: 'account_owner' },
      customer({ ownerUserId: 'owner-bo' }),
      lookup,
      opts,
    );
    expect(known.reachable).toEqual([]);
    expect(known.unreachable).toEqual([{ userId: 'owner-bo', role: 'account_owner', via: 'owner' }]);
    const unknown = recipientsFor(
      { role: 'account_owner' },
      customer({ ownerUserId: 'ghost' }),
      lookup,
      opts,
    );
    expect(unknown.reachable).toEqual([]);
    expect(ids(unknown.unreachable)).toEqual(['ghost']);
    expect(unknown.unreachable[0]?.email).toBeUndefined();
  });

  it('revops_manager: holders whose regions include the customer’s region or *', () => {
    const mid = recipientsFor({ role: 'revops_manager' }, customer({ region: 'us-midwest' }), lookup, opts);
    expect(ids(mid.reachable)).toEqual(['rev-all', 'rev-mid']);
    expect(ids(mid.unreachable)).toEqual(['rev-nomail']);
    const se = recipientsFor({ role: 'revops_manager' }, customer({ region: 'us-southeast' }), lookup, opts);
    expect(ids(se.reachable)).toEqual(['rev-all', 'rev-se']);
    expect(se.unreachable).toEqual([]);
    const west = recipientsFor({ role: 'revops_manager' }, customer({ region: 'us-west' }), lookup, opts);
    expect(ids(west.reachable)).toEqual(['rev-all']);
  });

  it('any other role: every holder, whatever the region', () => {
    const r = recipientsFor({ role: 'ops_exception_lead' }, customer({ region: 'us-midwest' }), lookup, opts);
    expect(ids(r.reachable)).toEqual(['ops-1']);
  });

  it('an escalated step adds the escalation role’s holders, each person once, with the step’s role first', () => {
    const r = recipientsFor({ role: 'revops_manager', escalated: true }, customer(), lookup, opts);
    expect(ids(r.reachable)).toEqual(['adm', 'rev-all', 'rev-mid']);
    expect(r.reachable.find((x) => x.userId === 'adm')?.via).toBe('escalation');
    expect(r.reachable.find((x) => x.userId === 'rev-all')?.via).toBe('role');
    const notEscalated = recipientsFor({ role: 'revops_manager' }, customer(), lookup, opts);
    expect(ids(notEscalated.reachable)).not.toContain('adm');
  });

  it('the user who triggered the write-back is not asked to approve it', () => {
    const r = recipientsFor({ role: 'revops_manager' }, customer(), lookup, {
      ...opts,
      exclude: ['rev-mid'],
    });
    expect(ids(r.reachable)).toEqual(['rev-all']);
  });

  it('notifyTargets: user ids for lookup at send time, fallback addresses, Slack mentions (also for the unreachable)', () => {
    const r = recipientsFor({ role: 'revops_manager' }, customer(), lookup, opts);
    expect(notifyTargets(r)).toEqual({
      recipients: ['rev-all', 'rev-mid'],
      emails: [],
      slackIds: ['U0SILENT'],
    });
  });
});
