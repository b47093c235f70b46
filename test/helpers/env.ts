import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** shared/ sits beside the repo (CI clones elsewhere and copies shared/ beside the clone). */
export const sharedDir = path.resolve(repoRoot, '../shared');

/** A unique, NATS-safe prefix for one test run's streams, consumers and buckets. */
export function uniquePrefix(tag: string): string {
  return `t_${tag}_${process.pid.toString(36)}${Math.random().toString(36).slice(2, 7)}`;
}

export function tempDir(tag: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), `dockside-${tag}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
