import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, migrate, openStore } from '../../core/mod.ts';
import {
  type AuditEntry,
  auditEntrySchema,
  auditMigrations,
  chainEntries,
  emptyHead,
} from '../../writeback/audit/mod.ts';
import { toLogRow } from '../../writeback/audit/rows.ts';
import { spawnCli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/env.ts';

/**
 * The CLI against a store this test fills and closes first (embedded chDB: one process per data directory).
 */
let data: { dir: string; remove: () => void };
const env = () => ({ DOCKSIDE_DATA_DIR: data.dir, LOG_LEVEL: 'silent' });
const T0 = Date.parse('2026-01-10T08:00:00.000Z');
let entries: AuditEntry[] = [];

async function withStore(
  run: (
    sql: (q: string) => Promise<unknown>,
    insert: (rows: AuditEntry[]) => Promise<unknown>,
  ) => Promise<void>,
) {
  const config = loadConfig(env());
  const store = await openStore(config);
  try {
    await migrate(store, config.clickhouse.database, auditMigrations);
    await run(
      (query) => store.client.command({ query, clickhouse_settings: { mutations_sync: '2' } }),
      (rows) =>
        store.client.insert({
          table: store.table('decision_log'),
          values: rows.map((e) => toLogRow(e, Date.now())),
          format: 'JSONEachRow',
        }),
    );
  } finally {
    await store.close();
  }
}

const input = (i: number) => ({
  kind: i % 2 ? 'write_attempt' : 'write_applied',
  actor: 'system:outbox',
  reasonCode: 'auto_write',
  policyVersion: 'pv-9',
  exceptionId: `ex-${i}`,
  ref: `w-${i}`,
  details: { attempt: i },
});

beforeAll(async () => {
  data = tempDir('audcli');
  let head = emptyHead;
  for (let hour = 0; hour < 4; hour++) {
    const block = chainEntries(head, 'act.0', [input(hour * 2), input(hour * 2 + 1)], T0 + hour * 3_600_000);
    entries.push(...block);
    const last = block.at(-1) as AuditEntry;
    head = { seq: last.seq, hash: last.hash };
  }
  entries = [...entries, ...chainEntries(emptyHead, 'sys', [{ ...input(99), kind: 'policy_loaded' }], T0)];
  await withStore(async (_sql, insert) => {
    await insert(entries);
  });
});
afterAll(() => data?.remove());

const run = async (args: string[]) => {
  const cli = spawnCli(args, env());
  const code = await cli.exited;
  return { code, stdout: cli.stdout(), stderr: cli.stderr() };
};

describe('dockside audit', () => {
  it('verify: exit 0 on an untouched log, exit 1 naming the first altered entry in one line', async () => {
    const ok = await run(['audit', 'verify']);
    expect(ok, ok.stderr).toMatchObject({ code: 0 });
    expect(ok.stdout).toMatch(/^audit log intact: 9 entries in 2 chains/);
    expect(ok.stdout).toContain('act.0: seq 1..8, 8 entries');

    await withStore(async (sql) => {
      await sql(
        `ALTER TABLE dockside.decision_log UPDATE reason_code = 'forged' WHERE chain = 'act.0' AND seq = 6`,
      );
    });
    const bad = await run(['audit', 'verify']);
    expect(bad.code, bad.stderr).toBe(1);
    expect(bad.stdout.trimEnd().split('\n')).toHaveLength(1);
    expect(bad.stdout).toMatch(
      /^audit log NOT intact: first bad entry: chain act\.0 seq 6 \(write_attempt, exception ex-5\) at 2026-01-10T10:00:00\.000Z: hash_mismatch/,
    );
    const json = await run(['audit', 'verify', '--json']);
    expect(json.code, json.stderr).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({
      ok: false,
      firstBad: { chain: 'act.0', seq: 6, exceptionId: 'ex-5' },
    });
    const sysOnly = await run(['audit', 'verify', '--chain', 'sys', '--json']);
    expect(sysOnly.code, sysOnly.stderr).toBe(0);
    expect(JSON.parse(sysOnly.stdout)).toMatchObject({ ok: true, chains: [{ chain: 'sys', entries: 1 }] });
  });

  it('export: NDJSON of a time range to a file, ordered by at, chain, seq', async () => {
    const out = path.join(data.dir, 'audit.ndjson');
    const res = await run([
      'audit',
      'export',
      '--from',
      '2026-01-10T09:00:00Z',
      '--to',
      '2026-01-10T11:00:00Z',
      '--out',
      out,
    ]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toContain(`exported 4 entries to ${out}`);
    const lines = readFileSync(out, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => auditEntrySchema.parse(JSON.parse(l)));
    expect(lines.map((e) => e.seq)).toEqual([3, 4, 5, 6]);
    expect(lines[0]).toEqual(entries[2]);

    const stdout = await run([
      'audit',
      'export',
      '--from',
      '2026-01-10T00:00:00+00:00',
      '--to',
      '2026-01-11T00:00:00Z',
    ]);
    expect(stdout.code, stdout.stderr).toBe(0);
    expect(
      stdout.stdout
        .trimEnd()
        .split('\n')
        .map((l) => auditEntrySchema.parse(JSON.parse(l)).chain),
    ).toEqual(['act.0', 'act.0', 'sys', 'act.0', 'act.0', 'act.0', 'act.0', 'act.0', 'act.0']);
  });

  it('rejects bad options naming the option, the value and what was expected (exit 2)', async () => {
    const res = await run(['audit', 'export', '--from', '10/01/2026', '--to', '2026-01-11T00:00:00Z']);
    expect(res.code, res.stderr).toBe(2);
    expect(res.stderr).toMatch(/from: got "10\/01\/2026", expected an RFC 3339 timestamp/);
    const chain = await run(['audit', 'verify', '--chain', 'DEC 1']);
    expect(chain.code, chain.stderr).toBe(2);
    expect(chain.stderr).toMatch(/chain: got "DEC 1", expected a chain name like dec\.3/);
  });
});
