import path from 'node:path';
import { Command } from 'commander';
import { describeValue } from '../../core/mod.ts';
import { checkPolicyFile, diffPolicyFiles, type PolicyCheck, type PolicyProblem } from './check.ts';
import type { PolicyKeyRow } from './report.ts';

/**
 * `dockside policy check FILE [--json] [--strict]` and `dockside policy diff A B [--json]`. No environment
 * is read: the file is the only input. Exit 0 when the file can be used (check) or both can (diff), 2 when
 * not (every problem printed with its path, value and expectation); --strict also fails on keys that are
 * accepted but not enforced.
 */
export function policyCommand(): Command {
  const policy = new Command('policy').description(
    'check a write-back policy file (version, what every key drives) or compare two',
  );
  policy.addCommand(
    new Command('check')
      .description(
        'validate a policy file: prints its version, name, owner and a table of every key and what it drives, then ok (exit 0) or the problems (exit 2)',
      )
      .argument('<file>', 'policy YAML, e.g. policies/exception_to_crm_writeback.template.yaml')
      .option('--json', 'machine output: one JSON document on stdout')
      .option('--strict', 'also fail (exit 2) when a key is accepted but not enforced')
      .action((file: string, opts: { json?: boolean; strict?: boolean }) => {
        const result = checkPolicyFile(path.resolve(file));
        const strictFail = result.ok && opts.strict === true && result.counts.not_enforced > 0;
        if (opts.json) process.stdout.write(`${JSON.stringify(result)}\n`);
        else printCheck(result, strictFail);
        process.exitCode = result.ok && !strictFail ? 0 : 2;
      }),
  );
  policy.addCommand(
    new Command('diff')
      .description('list the keys whose values differ between two policy files, with what each drives')
      .argument('<a>', 'the current policy YAML')
      .argument('<b>', 'the candidate policy YAML')
      .option('--json', 'machine output: one JSON document on stdout')
      .action((a: string, b: string, opts: { json?: boolean }) => {
        const result = diffPolicyFiles(path.resolve(a), path.resolve(b));
        if (opts.json) process.stdout.write(`${JSON.stringify(result)}\n`);
        else if (!result.ok) {
          for (const e of result.errors) process.stderr.write(`${e.file}: ${problemLine(e)}\n`);
        } else {
          const out = [
            `a: ${result.a.version} (${result.a.file})`,
            `b: ${result.b.version} (${result.b.file})`,
          ];
          for (const c of result.changes) {
            const sign = c.change === 'added' ? '+' : c.change === 'removed' ? '-' : '~';
            const values =
              c.change === 'changed'
                ? `${describeValue(c.a)} → ${describeValue(c.b)}`
                : describeValue(c.change === 'added' ? c.b : c.a);
            out.push(`${sign} ${c.path}: ${values}  [${c.use}: ${c.by}]`);
          }
          out.push(result.changes.length === 0 ? 'no differences' : `${result.changes.length} key(s) differ`);
          process.stdout.write(`${out.join('\n')}\n`);
        }
        process.exitCode = result.ok ? 0 : 2;
      }),
  );
  return policy;
}

function problemLine(p: PolicyProblem): string {
  return `${p.path || '(file)'}: got ${describeValue(p.value)}, expected ${p.expected}`;
}

function printCheck(result: PolicyCheck, strictFail: boolean): void {
  if (!result.ok) {
    process.stderr.write(
      `policy check: ${result.file}: ${result.errors.length} problem(s)\n${result.errors.map((e) => `  ${problemLine(e)}\n`).join('')}`,
    );
    return;
  }
  const head = [
    `policy:  ${result.policyName}`,
    `owner:   ${result.owner ?? '-'}`,
    `version: ${result.version}`,
    `file:    ${result.file}`,
    '',
  ];
  const table = keyTable(result.keys);
  const { enforced, metadata, not_enforced } = result.counts;
  const tail = [
    '',
    `${result.keys.length} keys: ${enforced} enforced, ${metadata} metadata, ${not_enforced} accepted but not enforced`,
    strictFail ? 'not ok (--strict): some keys are accepted but not enforced' : 'ok',
  ];
  process.stdout.write(`${[...head, ...table, ...tail].join('\n')}\n`);
}

/** Columns: use, key path, value (shortened), what drives it (and a typo hint). */
function keyTable(rows: readonly PolicyKeyRow[]): string[] {
  const cells = rows.map((r) => [
    r.use,
    r.path,
    describeValue(r.value),
    `${r.by}${r.hint ? ` (${r.hint})` : ''}`,
  ]);
  const header = ['USE', 'KEY', 'VALUE', 'DRIVES'];
  const widths = [0, 1, 2].map((i) =>
    Math.max(header[i]?.length ?? 0, ...cells.map((c) => c[i]?.length ?? 0)),
  );
  const line = (c: readonly string[]) =>
    c.map((cell, i) => (i < 3 ? cell.padEnd(widths[i] ?? 0) : cell)).join('  ');
  return [line(header), ...cells.map(line)];
}
