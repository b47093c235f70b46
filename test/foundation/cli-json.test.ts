import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnCli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/env.ts';

/** `--json` on the commands that printed results only as text: forecast olist-series and audit export --out. */
const data = tempDir('clijson');

afterAll(() => data.remove());

async function run(args: string[], env: Record<string, string> = {}) {
  const p = spawnCli(args, { LOG_LEVEL: 'warn', ...env });
  const code = await p.exited;
  return { code, stdout: p.stdout(), stderr: p.stderr() };
}

describe('--json', () => {
  it('forecast olist-series: one JSON object per CSV row, the same values', async () => {
    const csvFile = path.join(data.dir, 'series.csv');
    const [json, csv] = await Promise.all([
      run(['forecast', 'olist-series', '--json']),
      run(['forecast', 'olist-series', '--out', csvFile]),
    ]);
    expect(json.code, json.stderr).toBe(0);
    expect(csv.code, csv.stderr).toBe(0);
    const rows = readFileSync(csvFile, 'utf8').trimEnd().split('\n');
    const header = (rows.shift() ?? '').split(',');
    const objects = json.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(objects).toHaveLength(rows.length);
    expect(Object.keys(objects[0] ?? {})).toEqual(header);
    const last = (rows.at(-1) ?? '').split(',');
    expect(Object.values(objects.at(-1) ?? {}).map(String)).toEqual(last);
  });

  it('audit export --out: the summary as JSON on stdout', async () => {
    const out = path.join(data.dir, 'audit.ndjson');
    const r = await run(
      [
        'audit',
        'export',
        '--from',
        '2026-01-01T00:00:00Z',
        '--to',
        '2026-01-02T00:00:00Z',
        '--out',
        out,
        '--json',
      ],
      { DOCKSIDE_DATA_DIR: data.dir },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ entries: 0, out });
    expect(readFileSync(out, 'utf8')).toBe('');
  });
});
