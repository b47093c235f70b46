import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { demoUsers } from '../../app/commands/demo-users.ts';
import { seededRandom } from '../../app/simulator/random.ts';
import { createSimulator } from '../../app/simulator/simulator.ts';
import { makeCustomers } from '../../app/simulator/world.ts';
import { loadPolicy } from '../../core/mod.ts';
import { parseCustomers, parseUsers } from '../../writeback/directory/parse.ts';
import { repoRoot } from '../helpers/env.ts';

/** The demo's directory files must describe exactly the customers the simulator emits with its default seed. */
const dir = path.join(repoRoot, 'app/simulator/directory');
const customers = parseCustomers(readFileSync(path.join(dir, 'customers.ndjson'), 'utf8'));
const users = parseUsers(readFileSync(path.join(dir, 'users.ndjson'), 'utf8'));
const byId = new Map(customers.entries.map((c) => [c.customerId, c]));
const DEFAULT_SEED = 42; // dockside demo --seed default

describe("the simulator's directory files", () => {
  it('parse without a reject or a warning', () => {
    expect(customers.rejects).toEqual([]);
    expect(customers.warnings).toEqual([]);
    expect(users.rejects).toEqual([]);
    expect(users.warnings).toEqual([]);
    expect(customers.entries).toHaveLength(40);
  });

  it('list every simulator customer with the tier the simulator draws for it', () => {
    const simulated = makeCustomers(seededRandom(DEFAULT_SEED));
    expect(simulated.map((c) => [c.id, c.tier])).toEqual(
      customers.entries.map((c) => [c.customerId, c.tier]),
    );
  });

  it('match the customer and tier of every shipment the simulator emits (the real draw order)', () => {
    const sim = createSimulator({ rate: 6_000, seed: DEFAULT_SEED });
    const seen = new Map<string, string | undefined>();
    for (const e of sim.step(Date.parse('2026-01-05T12:00:00Z'), 1_000)) {
      if (e.type === 'shipment.committed' && e.customerId) seen.set(e.customerId, e.customerTier);
    }
    expect(seen.size).toBe(40);
    for (const [id, tier] of seen) expect({ id, tier }).toEqual({ id, tier: byId.get(id)?.tier });
  });

  it("spread customers over the policy's regions, with some outside them (region_not_allowed) among tiers with a rule", () => {
    const allowed =
      loadPolicy(path.join(repoRoot, 'policies/exception_to_crm_writeback.template.yaml')).regions ?? [];
    expect(allowed).toEqual(['us-midwest', 'us-southeast']);
    const outside = customers.entries.filter((c) => !allowed.includes(c.region));
    expect(outside.length).toBeGreaterThanOrEqual(5);
    expect(outside.length).toBeLessThanOrEqual(8);
    expect(new Set(outside.map((c) => c.region))).toEqual(new Set(['us-west', 'us-south']));
    expect(outside.some((c) => c.tier === 'tier1')).toBe(true);
    expect(outside.some((c) => c.tier === 'tier3')).toBe(true);
    for (const region of allowed)
      expect(customers.entries.filter((c) => c.region === region).length).toBeGreaterThan(12);
  });

  it('give every customer a Salesforce-looking account id, its id as external id, and one of 5 owners', () => {
    for (const c of customers.entries) {
      expect(c.crmAccountId).toMatch(/^001[A-Za-z0-9]{15}$/);
      expect(c.crmExternalId).toBe(c.customerId);
      expect(c.ownerEmail).toMatch(/@example\.com$/);
      if (c.contactEmail) expect(c.contactEmail).toMatch(/@example\.com$/);
    }
    expect(new Set(customers.entries.map((c) => c.crmAccountId)).size).toBe(40);
    const owners = new Set(customers.entries.map((c) => c.ownerUserId));
    expect(owners.size).toBe(5);
    const ana = customers.entries.filter((c) => c.ownerUserId === 'owner-ana');
    expect(ana.length).toBeGreaterThanOrEqual(8);
    expect(
      ana.filter((c) => c.tier === 'tier1' && ['us-midwest', 'us-southeast'].includes(c.region)).length,
    ).toBeGreaterThan(2);
  });

  it('have each owner in the users file as an account owner with the same e-mail', () => {
    const userById = new Map(users.entries.map((u) => [u.userId, u]));
    for (const c of customers.entries) {
      const owner = userById.get(c.ownerUserId);
      expect(owner?.roles, c.ownerUserId).toContain('account_owner');
      expect(owner?.email).toBe(c.ownerEmail);
    }
  });

  it('list the people of every role the policy and the demo need, with the demo sign-in ids', () => {
    const holders = (role: string) => users.entries.filter((u) => u.roles.includes(role));
    expect(holders('account_owner')).toHaveLength(5);
    const revops = holders('revops_manager');
    expect(revops).toHaveLength(2);
    for (const r of revops) expect(r.regions.length).toBeGreaterThan(0);
    for (const role of [
      'ops_dispatch_manager',
      'ops_exception_lead',
      'warehouse_supervisor',
      'planner',
      'admin',
    ]) {
      expect(holders(role).length, role).toBeGreaterThan(0);
    }
    for (const u of users.entries) expect(u.email ?? '@example.com').toMatch(/@example\.com$/);
    const userById = new Map(users.entries.map((u) => [u.userId, u]));
    for (const d of demoUsers.filter((x) => !x.roles.includes('ingest'))) {
      expect({ id: d.userId, roles: userById.get(d.userId)?.roles }).toEqual({
        id: d.userId,
        roles: [...d.roles],
      });
    }
  });
});
