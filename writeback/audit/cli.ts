import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Command } from 'commander';
import { loadConfig, migrate, openStore, type Store } from '../../core/mod.ts';
import { checkRange, countAudit, exportAudit } from './export.ts';
import { auditMigrations } from './migrations.ts';
import { checkChainName } from './names.ts';
import { type AuditReport, verifyAudit } from './verify.ts';

/**
 * `dockside audit verify | export`. Both read ClickHouse's decision_log (embedded chDB allows one process per
 * data directory: run them beside a server-mode ClickHouse, or while `up` is stopped). Bad options are a
 * RejectError (exit 2); verify exits 1 when the log is not intact.
 */
type Env = Readonly<Record<string, string | undefined>>;

/** `env` is the process environment at the composition edge; nothing below reads it. */
export function auditCommand(env: Env = process.env): Command {
  const audit = new Command('audit').description(
    'the tamper-evident decision log: verify the hash chains, export entries',
  );

  audit
    .command('verify')
    .description(
      'check every chain (hashes, links, sequence); name the first bad entry; exit 1 if there is one',
    )
    .option('--chain <chain>', 'only this chain, e.g. dec.3, act.3 or sys')
    .option('--json', 'print the report as JSON')
    .action(async (raw: { chain?: string; json?: boolean }) => {
      const chain = raw.chain === undefined ? undefined : checkChainName(raw.chain, 'chain');
      const report = await withStore(env, (store, db) => verifyAudit(store, db, chain ? { chain } : {}));
      await write(raw.json ? `${JSON.stringify(report)}\n` : verifyText(report));
      if (!report.ok) process.exitCode = 1;
    });

  audit
    .command('export')
    .description('write the entries of a time range as NDJSON (ordered by at, chain, seq)')
    .requiredOption('--from <time>', 'RFC 3339 start, inclusive, e.g. 2026-01-01T00:00:00Z')
    .requiredOption('--to <time>', 'RFC 3339 end, exclusive')
    .option('--chain <chain>', 'only this chain')
    .option('--out <file>', 'write to this file instead of stdout')
    .option('--json', 'with --out: print the summary as JSON ({entries, out})')
    .action(async (raw: { from: string; to: string; chain?: string; out?: string; json?: boolean }) => {
      const range = checkRange({ from: raw.from, to: raw.to, chain: raw.chain });
      const { entries } = await withStore(env, async (store, db) => {
        const progress = process.stderr.isTTY ? await progressLine(countAudit(store, db, range)) : undefined;
        if (!raw.out) return exportAudit(store, db, range, write, progress ? { onProgress: progress } : {});
        return toFile(raw.out, (sink) =>
          exportAudit(store, db, range, sink, progress ? { onProgress: progress } : {}),
        );
      });
      if (process.stderr.isTTY) process.stderr.write('\n');
      if (raw.out && raw.json) await write(`${JSON.stringify({ entries, out: raw.out })}\n`);
      else if (raw.out) process.stderr.write(`exported ${entries} entries to ${raw.out}\n`);
    });

  return audit;
}

async function withStore<T>(env: Env, run: (store: Store, database: string) => Promise<T>): Promise<T> {
  const config = loadConfig(env);
  const store = await openStore(config);
  try {
    await migrate(store, config.clickhouse, auditMigrations);
    return await run(store, config.clickhouse.database);
  } finally {
    await store.close();
  }
}

export function verifyText(report: AuditReport): string {
  if (report.firstBad) return `audit log NOT intact: first bad entry: ${report.firstBad.line}\n`;
  const total = report.chains.reduce((n, c) => n + c.entries, 0);
  const lines = [`audit log intact: ${total} entries in ${report.chains.length} chains`];
  for (const c of report.chains) {
    const note = c.truncatedByTtl ? ` (entries before seq ${c.firstSeq} removed by retention)` : '';
    lines.push(`  ${c.chain}: seq ${c.firstSeq}..${c.lastSeq}, ${c.entries} entries${note}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Writes through a `.partial` file renamed at the end, so a failed export leaves no file that looks whole. */
async function toFile<T>(
  file: string,
  run: (write: (chunk: string) => Promise<void>) => Promise<T>,
): Promise<T> {
  const partial = `${file}.partial`;
  const out = createWriteStream(partial);
  try {
    const result = await run(async (chunk) => {
      if (!out.write(chunk)) await once(out, 'drain');
    });
    out.end();
    await once(out, 'finish');
    await rename(partial, file);
    return result;
  } catch (err) {
    out.destroy();
    await rm(partial, { force: true });
    throw err;
  }
}

/** `exported 1200 / 50000 entries` on a terminal's stderr, redrawn in place. */
async function progressLine(total: Promise<number>): Promise<(written: number) => void> {
  const n = await total;
  return (written) => process.stderr.write(`\rexported ${written} / ${n} entries`);
}

function write(text: string): Promise<void> {
  return new Promise((resolve, reject) =>
    process.stdout.write(text, (err) => (err ? reject(err) : resolve())),
  );
}
