import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { exceptionSchema } from '../../core/mod.ts';
import { ev, HOUR, iso, T0 } from './support/build.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'dockside-replay-'));

function replay(lines: string[], args: string[] = []) {
  const file = path.join(dir, `${Math.random().toString(36).slice(2)}.ndjson`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  const r = spawnSync(process.execPath, ['bin/dockside.js', 'replay', file, ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, DOCKSIDE_DATA_DIR: dir },
  });
  const exceptions = r.stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => exceptionSchema.parse(JSON.parse(l)));
  return { status: r.status, exceptions, stderr: r.stderr };
}

describe('dockside replay FILE.ndjson', () => {
  const events = [
    ev.commit('S1', T0, { shipBy: T0 + HOUR }),
    ev.commit('S2', T0, { shipBy: T0 + 5 * HOUR }),
    ev.pick('S2', T0 + HOUR, 8, 2),
    ev.commit('S3', T0 + 3 * HOUR, { shipBy: T0 + 20 * HOUR }),
  ].map((e) => JSON.stringify(e));

  it('prints the exceptions as NDJSON; at the end of input the watermark is the latest occurredAt', () => {
    const r = replay(events);
    expect(r.status).toBe(0);
    // Latest occurredAt is T0+3h: S1's deadline (T0+2h) fired, S2's (T0+6h) did not.
    expect(r.exceptions.map((e) => `${e.type}:${e.shipmentId}`).sort()).toEqual([
      'late_scan:S1',
      'short_pick:S2',
    ]);
  });

  it('--until moves the final watermark: only deadlines at or before it fire; later events are skipped', () => {
    const r = replay(events, ['--until', iso(T0 + 6 * HOUR), '--json']);
    expect(r.exceptions.map((e) => `${e.type}:${e.shipmentId}`).sort()).toEqual([
      'late_scan:S1',
      'late_scan:S2',
      'short_pick:S2',
    ]);
    const summary = JSON.parse(r.stderr.trim().split('\n').pop() ?? '{}') as {
      watermark: string;
      skippedAfterUntil: number;
    };
    expect(summary.watermark).toBe(iso(T0 + 6 * HOUR));
    const early = replay(events, ['--until', iso(T0 + 2 * HOUR + 30 * 60_000), '--json']);
    expect(early.exceptions.map((e) => `${e.type}:${e.shipmentId}`).sort()).toEqual([
      'late_scan:S1',
      'short_pick:S2',
    ]);
    expect(JSON.parse(early.stderr.trim().split('\n').pop() ?? '{}')).toMatchObject({ skippedAfterUntil: 1 });
  });

  it('reports unusable lines on stderr and exits 2, still replaying the rest', () => {
    const r = replay([
      ...events,
      '{not json',
      JSON.stringify({ id: 'x', type: 'wms.pick', occurredAt: 'soon' }),
    ]);
    expect(r.status).toBe(2);
    expect(r.exceptions).toHaveLength(2);
    expect(r.stderr).toContain('EVENT_NOT_JSON');
    expect(r.stderr).toContain('EVENT_INVALID');
  });
});
