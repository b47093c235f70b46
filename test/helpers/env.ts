import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** Real data the tests use, copied into the repository with its provenance (testdata/PROVENANCE.md). */
export const testData = path.join(repoRoot, 'testdata');
/** The write-back policy template, a byte-identical copy of the one customers start from (policies/PROVENANCE.md). */
export const templatePolicy = path.join(repoRoot, 'policies/exception_to_crm_writeback.template.yaml');

/** A unique, NATS-safe prefix for one test run's streams, consumers and buckets. */
export function uniquePrefix(tag: string): string {
  return `t_${tag}_${process.pid.toString(36)}${Math.random().toString(36).slice(2, 7)}`;
}

export function tempDir(tag: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), `dockside-${tag}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
