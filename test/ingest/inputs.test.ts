import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expandInputs } from '../../ingest/files/inputs.ts';

const root = mkdtempSync(path.join(os.tmpdir(), 'dockside-inputs-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const at = (...parts: string[]) => path.join(root, ...parts);

describe('expandInputs (the FILE... arguments of convert and import)', () => {
  it('turns a directory into the files under it, recursively and in path order, skipping dotfiles', async () => {
    mkdirSync(at('feed', 'b-carrier'), { recursive: true });
    mkdirSync(at('feed', 'a-wms'), { recursive: true });
    mkdirSync(at('feed', '.git'), { recursive: true });
    for (const f of [
      'b-carrier/214.edi',
      'a-wms/z.ndjson',
      'a-wms/a.ndjson',
      'top.csv',
      '.DS_Store',
      '.git/HEAD',
    ])
      writeFileSync(at('feed', f), 'x');
    symlinkSync(at('feed', 'top.csv'), at('feed', 'c-link.csv'));
    symlinkSync(at('feed', 'a-wms'), at('feed', 'd-dir-link'));
    expect(await expandInputs([at('feed')])).toEqual([
      at('feed', 'a-wms', 'a.ndjson'),
      at('feed', 'a-wms', 'z.ndjson'),
      at('feed', 'b-carrier', '214.edi'),
      at('feed', 'c-link.csv'),
      at('feed', 'top.csv'),
    ]);
  });

  it('keeps files, missing paths and empty directories as given, in argument order', async () => {
    mkdirSync(at('empty'));
    writeFileSync(at('one.ndjson'), 'x');
    expect(await expandInputs([at('one.ndjson'), at('missing.edi'), at('empty')])).toEqual([
      at('one.ndjson'),
      at('missing.edi'),
      at('empty'),
    ]);
  });
});
