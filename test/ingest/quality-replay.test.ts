import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findingsOf } from '../../core/mod.ts';
import { ev, HOUR, T0 } from '../exceptions/support/build.ts';

/** `dockside replay` counts data-quality findings with the same findingsOf as the ingest sink. */
const dir = mkdtempSync(path.join(tmpdir(), 'dockside-replay-findings-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function replay(lines: string[], args: string[] = []) {
  const file = path.join(dir, `${Math.random().toString(36).slice(2)}.ndjson`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  const r = spawnSync(process.execPath, ['bin/dockside.js', 'replay', file, ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, DOCKSIDE_DATA_DIR: dir },
  });
  return { status: r.status, stderr: r.stderr };
}

describe('dockside replay: data-quality findings in the summary', () => {
  const events = [
    ev.commit('S1', T0, { shipBy: T0 + 5 * HOUR, deliverBy: T0 + 2 * HOUR }),
    ev.commit('S2', T0, { shipBy: T0 + 5 * HOUR, deliverBy: T0 + 4 * HOUR }),
    ev.commit('S3', T0, { shipBy: T0 + 5 * HOUR, deliverBy: T0 + 30 * HOUR }),
    ev.scan('S3', T0 + HOUR),
  ];
  const expected = events.flatMap((e) => findingsOf(e)).length;
  const lines = events.map((e) => JSON.stringify(e));

  it('--json: `findings` counts each code', () => {
    expect(expected).toBe(2);
    const r = replay(lines, ['--json']);
    const summary = JSON.parse(r.stderr.trim().split('\n').pop() ?? '{}') as {
      findings: Record<string, number>;
    };
    expect(summary.findings).toEqual({ COMMITMENT_INCONSISTENT: expected });
  });

  it('text: the summary line names the findings, or says none', () => {
    expect(replay(lines).stderr).toContain(`data-quality findings: COMMITMENT_INCONSISTENT=${expected}`);
    const clean = replay([lines[2] ?? '', lines[3] ?? '']);
    expect(clean.status).toBe(0);
    expect(clean.stderr).toContain('data-quality findings: none');
  });
});
