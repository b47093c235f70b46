import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { expandInputs } from '../../ingest/files/inputs.ts';
import { fixtures, sharedData } from './support/paths.ts';
import { runCli } from './support/run-cli.ts';

const rejectionLine = z.object({
  file: z.string(),
  position: z.string(),
  reason: z.string(),
  code: z.string(),
});
const eventLine = z.looseObject({ id: z.string(), type: z.string(), occurredAt: z.string() });
const lines = (text: string) => text.split('\n').filter((l) => l.trim() !== '');

describe('dockside convert', () => {
  it('writes events as NDJSON on stdout and exits 0 when everything converted', async () => {
    const run = await runCli([
      'convert',
      path.join(fixtures, 'x12/945-short-ship.edi'),
      path.join(sharedData, 'epcis/JSON/Example_9.6.1-ObjectEvent.jsonld'),
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const events = lines(run.stdout).map((l) => eventLine.parse(JSON.parse(l)));
    expect(events.map((e) => e.type)).toEqual([
      'wms.ship_scan',
      'wms.pick',
      'wms.pick',
      'wms.pick',
      'wms.ship_scan',
      'tms.status',
    ]);
  });

  it('writes each rejection as one JSON line on stderr and exits 2', async () => {
    const run = await runCli([
      'convert',
      '--format',
      'ndjson',
      path.join(fixtures, '../hostile/deep.ndjson'),
      path.join(fixtures, 'x12/945-short-ship.edi'),
    ]);
    expect(run.code).toBe(2);
    const rejections = lines(run.stderr).map((l) => rejectionLine.parse(JSON.parse(l)));
    // --format ndjson applies to both files: the X12 file's one line is not JSON
    expect(rejections.map((r) => [path.basename(r.file), r.position, r.code])).toEqual([
      ['deep.ndjson', 'line 1', 'JSON_TOO_DEEP'],
      ['945-short-ship.edi', 'line 1', 'JSON_INVALID'],
    ]);
    expect(run.stdout).toBe('');
  });

  it('reads a directory as the files under it; an empty one is rejected with its reason', async () => {
    const dir = path.join(sharedData, 'epcis/JSON');
    const run = await runCli(['convert', dir]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const fromDir = lines(run.stdout).map((l) => eventLine.parse(JSON.parse(l)).id);
    // the same events as naming every file, recursively, in path order
    const files = (await expandInputs([dir])).map((f) => path.relative(dir, f));
    expect(files).toContain('WithSensorData/SensorDataExample1.jsonld');
    const named = await runCli(['convert', ...files.map((f) => path.join(dir, f))]);
    expect(lines(named.stdout).map((l) => eventLine.parse(JSON.parse(l)).id)).toEqual(fromDir);
    expect(fromDir.length).toBeGreaterThan(files.length);

    const empty = mkdtempSync(path.join(os.tmpdir(), 'dockside-empty-'));
    try {
      const none = await runCli(['convert', empty]);
      expect(none.code).toBe(2);
      const [rejection] = lines(none.stderr).map((l) => rejectionLine.parse(JSON.parse(l)));
      expect(rejection).toEqual({
        file: empty,
        position: 'file',
        code: 'FILE_UNREADABLE',
        reason: `file: ${empty} is a directory, expected a file`,
      });
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('a directory it cannot list is a usage error naming it (exit 2)', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'dockside-locked-'));
    const inner = path.join(root, 'drop', 'inner');
    mkdirSync(inner, { recursive: true });
    chmodSync(root, 0o755);
    chmodSync(inner, 0o000);
    try {
      // root lists anything: as root, run the CLI as "nobody", for whom the directory is locked
      const run = await runCli(
        ['convert', path.join(root, 'drop')],
        {},
        process.getuid?.() === 0 ? 65534 : undefined,
      );
      expect(run.code).toBe(2);
      expect(run.stderr).toBe(`dockside convert: cannot list directory ${inner} (EACCES)\n`);
      expect(run.stdout).toBe('');
    } finally {
      chmodSync(inner, 0o755);
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('uses --mapping for CSV and --local-zone for X12 LT times', async () => {
    const csv = await runCli([
      'convert',
      '--mapping',
      'mappings/shipments.example.yaml',
      path.join(fixtures, 'csv/shipments.csv'),
    ]);
    expect(csv.code).toBe(0);
    expect(lines(csv.stdout)).toHaveLength(7);
    const x12 = await runCli([
      'convert',
      '--local-zone',
      'America/Denver',
      path.join(fixtures, 'x12/214-tilde.edi'),
    ]);
    const p1 = lines(x12.stdout)
      .map((l) => eventLine.parse(JSON.parse(l)))
      .find((e) => e.id.endsWith(':P1:202403100400'));
    // 10 March 2024 04:00 in Denver is after the 02:00 DST switch
    expect(p1?.occurredAt).toBe('2024-03-10T04:00:00-06:00');
  });

  it('a bad mapping file or zone is a usage error (exit 2, message naming it)', async () => {
    const run = await runCli([
      'convert',
      '--mapping',
      'no/such/mapping.yaml',
      path.join(fixtures, 'csv/shipments.csv'),
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^dockside convert: mapping no\/such\/mapping\.yaml: cannot read the file/);
    const zone = await runCli([
      'convert',
      '--local-zone',
      'Nowhere/Land',
      path.join(fixtures, 'x12/214-tilde.edi'),
    ]);
    expect(zone.code).toBe(2);
    expect(zone.stderr).toMatch(/--local-zone: "Nowhere\/Land" is neither an offset/);
  });
});
