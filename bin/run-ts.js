#!/usr/bin/env node
// Runs one TypeScript program (benchmarks, scripts) through tsx's loader: `node bin/run-ts.js FILE.ts [args]`.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { register } from 'tsx/esm/api';

const [file, ...rest] = process.argv.slice(2);
if (!file) {
  console.error('usage: node bin/run-ts.js FILE.ts [args...]');
  process.exit(2);
}
process.argv = [process.argv[0] ?? 'node', file, ...rest];
register();
await import(pathToFileURL(path.resolve(file)).href);
