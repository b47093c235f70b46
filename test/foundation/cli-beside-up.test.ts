import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnCli } from '../helpers/cli.ts';
import { repoRoot, tempDir } from '../helpers/env.ts';
import { type TestUp, testUp } from '../helpers/up.ts';

/**
 * The CLI beside a running `dockside up` on embedded storage: a command that opens the same data directory
 * says in one line which process holds it and what to do, and exits 75 (EX_TEMPFAIL), instead of chDB's
 * lock trace. And `dockside --version`.
 */
const data = tempDir('busy');
let up: TestUp;
let pid = 0;

beforeAll(async () => {
  up = testUp('busy');
  await up.start({ DOCKSIDE_DATA_DIR: data.dir });
  pid = up.proc?.child.pid ?? 0;
}, 90_000);

afterAll(async () => {
  await up?.close('SIGTERM');
  data.remove();
});

async function runBeside(args: string[]) {
  const p = spawnCli(args, { DOCKSIDE_DATA_DIR: data.dir, DOCKSIDE_PREFIX: up.prefix, LOG_LEVEL: 'warn' });
  const code = await p.exited;
  return { code, stdout: p.stdout(), stderr: p.stderr() };
}

describe('a command that opens the store while dockside up runs', () => {
  it.each([
    [['forecast', 'run', '--horizon', '7'], 'dockside forecast run'],
    [['forecast', 'show', 'SP>RJ'], 'dockside forecast show'],
    [['audit', 'verify'], 'dockside audit verify'],
  ])('%j: one line naming the directory and the process, exit 75', async (args, command) => {
    const r = await runBeside(args);
    expect(r.code, r.stderr).toBe(75);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toBe(
      `${command}: the data directory ${path.join(data.dir, 'chdb')} is in use by a running Dockside (pid ${pid}); stop it first, or run both against a ClickHouse server (CLICKHOUSE_URL)`,
    );
    expect(r.stdout).toBe('');
  });

  it('the running process is untouched', async () => {
    expect(up.proc?.child.exitCode).toBeNull();
  });
});

describe('dockside --version', () => {
  it("prints package.json's version and exits 0", async () => {
    const { version } = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
      version: string;
    };
    const p = spawnCli(['--version'], {});
    expect(await p.exited).toBe(0);
    expect(p.stdout()).toBe(`${version}\n`);
  });
});
