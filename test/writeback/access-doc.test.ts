import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AccessPolicy, loadPolicy } from '../../core/mod.ts';
import { accessMatrixMarkdown } from '../../dashboards/mod.ts';
import { repoRoot } from '../helpers/env.ts';

describe('the documented access matrix', () => {
  it('is the one the route table and the template policy give (regenerate: node bin/run-ts.js scripts/access-matrix.ts)', () => {
    const doc = readFileSync(path.join(repoRoot, 'docs/writeback.md'), 'utf8');
    const policy = loadPolicy(path.join(repoRoot, 'policies/exception_to_crm_writeback.template.yaml'));
    const matrix = accessMatrixMarkdown(new AccessPolicy(policy));
    expect(doc).toContain(`<!-- access-matrix:begin -->\n${matrix}\n<!-- access-matrix:end -->`);
    // A row per route, a column per role: owners approve, admins only once a step escalated (rule in the handler), an ingest service never.
    expect(matrix).toMatch(
      /\| `POST \/api\/approvals\/:id\/approve` \| approvals:decide \| ✓ \| ✓ \| 403 \|/,
    );
  });
});
