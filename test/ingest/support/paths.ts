import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, from this file's place in it (CI clones the repo elsewhere, with shared/ beside it). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const sharedData = path.resolve(repoRoot, 'testdata');
export const fixtures = path.resolve(repoRoot, 'test/ingest/fixtures');
