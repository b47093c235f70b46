// Rewrites the route × role matrix in docs/writeback.md from the route table and the template policy:
// `node bin/run-ts.js scripts/access-matrix.ts`.
import { readFileSync, writeFileSync } from 'node:fs';
import { AccessPolicy, loadPolicy } from '../core/mod.ts';
import { accessMatrixMarkdown } from '../dashboards/mod.ts';

const doc = 'docs/writeback.md';
const begin = '<!-- access-matrix:begin -->';
const end = '<!-- access-matrix:end -->';
const text = readFileSync(doc, 'utf8');
const matrix = accessMatrixMarkdown(
  new AccessPolicy(loadPolicy('policies/exception_to_crm_writeback.template.yaml')),
);
const a = text.indexOf(begin);
const b = text.indexOf(end);
if (a < 0 || b < a) throw new Error(`${doc} has no ${begin} … ${end} block`);
writeFileSync(doc, `${text.slice(0, a + begin.length)}\n${matrix}\n${text.slice(b)}`);
console.log(`${doc}: access matrix rewritten`);
