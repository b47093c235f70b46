import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  customersFromItems,
  detectFormat,
  parseCustomers,
  parseUsers,
} from '../../writeback/directory/parse.ts';
import { repoRoot } from '../helpers/env.ts';

const fixture = (name: string) => readFileSync(path.join(repoRoot, 'test/writeback/fixtures', name), 'utf8');

describe('customer files: CSV', () => {
  const text = fixture('customers-sample.csv');

  it('reads a CSV with a BOM, CRLF line ends, quoted commas, doubled quotes, a quoted newline and a blank line', () => {
    expect(text.charCodeAt(0)).toBe(0xfeff);
    expect(text).toContain('\r\n');
    const r = parseCustomers(text, { source: 'file:customers-sample.csv' });
    expect(r.format).toBe('csv');
    expect(r.source).toBe('file:customers-sample.csv');
    expect(r.rejects).toEqual([]);
    expect(r.warnings).toEqual([]);
    expect(r.entries).toEqual([
      {
        customerId: 'CUST-101',
        crmAccountId: '001DK0000000101YAA',
        crmExternalId: 'CUST-101',
        ownerUserId: 'owner-ana',
        region: 'us-midwest',
        tier: 'tier1',
        name: 'Acme, Inc.',
        ownerEmail: 'ana.owner@example.com',
        contactEmail: 'ops@example.com',
        attributes: { segment: 'retail' },
      },
      {
        customerId: 'CUST-102',
        crmExternalId: 'CUST-102',
        ownerUserId: 'owner-ben',
        region: 'us-southeast',
        tier: 'tier2',
        name: 'The "Quoted" Co',
        ownerEmail: 'ben.owner@example.com',
        attributes: { segment: 'multi\nline note' },
      },
      {
        customerId: 'CUST-103',
        crmAccountId: '001DK0000000103YAA',
        ownerUserId: 'owner-ana',
        region: 'us-west',
        tier: 'tier3',
        name: 'Plain Co',
        attributes: {},
      },
    ]);
  });

  it('gives the same entries with LF line ends and without the BOM', () => {
    const lf = text.slice(1).replace(/\r\n/g, '\n');
    expect(parseCustomers(lf).entries).toEqual(parseCustomers(text).entries);
  });

  it('names the line a bad row starts on, counting blank lines and quoted newlines', () => {
    const bad = text.replace('us-west,tier3', 'us-west,tier9');
    const r = parseCustomers(bad);
    expect(r.rejects).toEqual([
      {
        line: 6,
        field: 'tier',
        value: '"tier9"',
        expected: 'one of tier1, tier2, tier3',
        message: 'line 6: tier: got "tier9", expected one of tier1, tier2, tier3',
      },
    ]);
    expect(r.entries.map((e) => e.customerId)).toEqual(['CUST-101', 'CUST-102']);
  });

  it('rejects a header without a required column, naming it, and reads no row', () => {
    const r = parseCustomers('customerId,crmAccountId,owner,region,tier\nC1,001A,ana,us-midwest,tier1\n');
    expect(r.entries).toEqual([]);
    expect(r.rejects).toHaveLength(1);
    expect(r.rejects[0]).toMatchObject({ line: 1, field: 'ownerUserId' });
    expect(r.rejects[0]?.expected).toContain('a column named ownerUserId');
    const noAccount = parseCustomers('customerId,ownerUserId,region,tier\nC1,ana,us-midwest,tier1\n');
    expect(noAccount.rejects[0]).toMatchObject({ line: 1, field: 'crmAccountId or crmExternalId' });
  });

  it('rejects a record with the wrong number of fields and an unclosed quote, and keeps the good rows', () => {
    const r = parseCustomers(
      'customerId,crmAccountId,ownerUserId,region,tier\nC1,001A,ana,us-midwest,tier1\nC2,001B,ana\nC3,"001C,ana,us-midwest,tier1\n',
    );
    expect(r.entries.map((e) => e.customerId)).toEqual(['C1']);
    expect(r.rejects.map((x) => x.line)).toEqual([3, 4]);
    expect(r.rejects[0]?.expected).toMatch(/Invalid Record Length/);
    expect(r.rejects[1]?.expected).toMatch(/Quote Not Closed/);
  });

  it('reads ;- and tab-separated files (spreadsheet exports) and a stray quote inside an unquoted field', () => {
    const semi = parseCustomers(
      'customerId;crmAccountId;ownerUserId;region;tier;name\nC1;001A;ana;us-midwest;tier1;O"Brien Ltd\n',
    );
    expect(semi.rejects).toEqual([]);
    expect(semi.entries[0]).toMatchObject({ customerId: 'C1', name: 'O"Brien Ltd' });
    const tab = parseCustomers(
      'customerId\tcrmAccountId\townerUserId\tregion\ttier\nC2\t001B\tana\tus-south\ttier2',
    );
    expect(tab.entries[0]).toMatchObject({ customerId: 'C2', region: 'us-south', tier: 'tier2' });
  });

  it('rejects a header naming a column twice', () => {
    const r = parseCustomers('customerId,customerId,crmAccountId,ownerUserId,region,tier\n');
    expect(r.rejects[0]).toMatchObject({ line: 1, field: 'customerId' });
    expect(r.rejects[0]?.expected).toContain('unique column names');
  });
});

describe('customer files: NDJSON', () => {
  const r = parseCustomers(fixture('customers-mixed.ndjson'), { format: 'auto' });

  it('is detected by its first character', () => {
    expect(r.format).toBe('ndjson');
    expect(detectFormat('\ufeff  {"a":1}')).toBe('ndjson');
    expect(detectFormat('customerId,tier')).toBe('csv');
  });

  it('names line, field, value and expectation for each reject reason', () => {
    const byLine = r.rejects.map((x) => [x.line, x.field, x.value, x.expected]);
    expect(byLine).toEqual([
      [2, 'tier', '"gold"', 'one of tier1, tier2, tier3'],
      [3, 'crmAccountId', '(missing)', 'crmAccountId or crmExternalId (at least one)'],
      [4, 'contactEmail', '(23 characters, redacted)', 'an e-mail address like name@example.com'],
      [5, 'ownerUserId', '(missing)', 'a value (required)'],
      [6, '', expect.stringContaining('CUST-206'), expect.stringMatching(/^a JSON object \(/)],
      [8, '', '"[\\"not\\",\\"an\\",\\"object\\"]"', 'a JSON object, one a line'],
    ]);
    for (const x of r.rejects)
      expect(x.message).toBe(
        `line ${x.line}: ${x.field ? `${x.field}: ` : ''}got ${x.value}, expected ${x.expected}`,
      );
  });

  it('keeps the later line of a duplicate customer id and says so in a warning', () => {
    expect(r.entries).toEqual([
      {
        customerId: 'CUST-201',
        crmAccountId: '001DK0000000299YAA',
        ownerUserId: 'owner-ben',
        region: 'us-southeast',
        tier: 'tier2',
        attributes: {},
      },
    ]);
    expect(r.warnings).toEqual([
      expect.objectContaining({
        line: 9,
        field: 'customerId',
        value: '"CUST-201"',
        expected: 'each customerId once per file (also on line 1; this later line is the one kept)',
      }),
    ]);
  });

  it('never echoes an e-mail address: invalid ones are masked wherever they appear', () => {
    const text =
      '{"customerId":"C1","crmAccountId":"A","ownerUserId":"o","region":"r","tier":"tier1","ownerEmail":"jane@"}\n{"x": "jane.doe@example.com" \n';
    const out = parseCustomers(text);
    const all = JSON.stringify(out.rejects);
    expect(all).not.toContain('jane.doe@example.com');
    expect(all).not.toContain('"jane@"');
    expect(out.rejects[0]).toMatchObject({ field: 'ownerEmail', value: '"j***@"' });
    expect(out.rejects[1]?.value).toContain('j***@example.com');
  });

  it('keeps extra fields as text attributes, and merges an attributes object', () => {
    const out = parseCustomers(
      '{"customerId":"C1","crmExternalId":"C1","ownerUserId":"o","region":"r","tier":"tier3","seats":12,"tags":["a"],"attributes":{"segment":"pet"}}',
    );
    expect(out.rejects).toEqual([]);
    expect(out.entries[0]?.attributes).toEqual({ seats: '12', tags: '["a"]', segment: 'pet' });
  });

  it('reads a JSON array body item by item, numbering items from 1', () => {
    const out = customersFromItems(
      [{ customerId: 'C1', crmAccountId: 'A', ownerUserId: 'o', region: 'r', tier: 'tier1' }, 'nope'],
      'api:test',
    );
    expect(out.entries.map((e) => e.customerId)).toEqual(['C1']);
    expect(out.rejects).toEqual([expect.objectContaining({ line: 2, field: '', value: '"nope"' })]);
    expect(out.source).toBe('api:test');
  });
});

describe('user files', () => {
  it('reads CSV with ;-separated roles and regions', () => {
    const r = parseUsers(fixture('users-sample.csv'));
    expect(r.rejects).toEqual([]);
    expect(r.entries).toEqual([
      {
        userId: 'owner-ana',
        name: 'Ana Owner',
        email: 'ana.owner@example.com',
        roles: ['account_owner'],
        regions: [],
        slackId: 'U01',
      },
      {
        userId: 'revops-rita',
        name: 'Rita RevOps',
        email: 'rita.revops@example.com',
        roles: ['revops_manager'],
        regions: ['us-midwest', 'us-southeast'],
        slackId: 'U02',
      },
      {
        userId: 'admin',
        name: 'Demo Admin',
        email: 'admin@example.com',
        roles: ['admin', 'revops_manager'],
        regions: ['*'],
      },
    ]);
  });

  it('rejects a user without a name without echoing personal values, and warns once about an unknown field', () => {
    const r = parseUsers(
      '{"userId":"u1","name":"","email":"not-an-address","team":"x"}\n{"userId":"u2","name":"Bo","team":"y"}\n',
    );
    expect(r.entries.map((u) => u.userId)).toEqual(['u2']);
    expect(r.rejects.map((x) => [x.line, x.field, x.value])).toEqual([
      [1, 'name', '(missing)'],
      [1, 'email', '(14 characters, redacted)'],
    ]);
    expect(r.warnings).toEqual([expect.objectContaining({ line: 1, field: 'team' })]);
    expect(JSON.stringify(r)).not.toContain('not-an-address');
  });

  it('never shows an unreadable line of a users file (names, addresses), only what was wrong with it', () => {
    const r = parseUsers('userId,name\nu1,Jane Doe,extra\n');
    expect(r.rejects).toEqual([
      expect.objectContaining({
        line: 2,
        field: '',
        value: '(the line, not shown: personal data)',
        expected: expect.stringContaining('Invalid Record Length'),
      }),
    ]);
    expect(JSON.stringify(r)).not.toContain('Jane');
    const nd = parseUsers('{"userId":"u1","name":"Jane Doe",}\n');
    expect(nd.rejects[0]).toMatchObject({ line: 1, value: '(the line, not shown: personal data)' });
    expect(nd.rejects[0]?.expected).toMatch(/^a JSON object \(not valid JSON at character \d+\)$/);
  });
});
