import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Command, Option } from 'commander';
import { z } from 'zod';
import { loadConfig, migrate, openStore, type Store } from '../../core/mod.ts';
import { formatOfName } from './files.ts';
import { directoryMigrations } from './migrations.ts';
import { detectFormat, type LineIssue, parseCustomers } from './parse.ts';
import { getCustomer, importCustomers } from './store.ts';
import { UserDirectory } from './users.ts';

/**
 * `dockside customers import FILE` and `dockside customers get ID`: straight into ClickHouse (embedded chDB
 * allows one process per data directory, so only while `up` is not running), or with `--url URL --token T`
 * through a running server's API. Exit 0 when every line was imported, 2 when any line was rejected
 * (`--strict`: then nothing is imported) or the arguments are unusable, 1 when the target failed.
 */
class UsageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UsageError';
  }
}

const remoteOptions = z
  .object({
    url: z.url({ protocol: /^https?$/ }).optional(),
    token: z.string().min(1).optional(),
    json: z.boolean().optional(),
  })
  .refine((o) => o.token === undefined || o.url !== undefined, {
    message: '--token needs --url',
    path: ['token'],
  });
const importOptions = z.intersection(
  remoteOptions,
  z.object({ format: z.enum(['auto', 'ndjson', 'csv']), strict: z.boolean().optional() }),
);

const issueSchema = z.object({
  line: z.number(),
  field: z.string(),
  value: z.string(),
  expected: z.string(),
  message: z.string(),
});
const importAnswer = z.object({
  imported: z.number(),
  rejects: z.array(issueSchema),
  warnings: z.array(issueSchema).default([]),
});
const errorAnswer = z.object({ error: z.object({ code: z.string(), message: z.string() }) });
const customerAnswer = z.looseObject({
  customerId: z.string(),
  crmAccountId: z.string().optional(),
  crmExternalId: z.string().optional(),
  ownerUserId: z.string(),
  ownerName: z.string().nullable().optional(),
  region: z.string(),
  tier: z.string(),
  name: z.string().optional(),
  hasContactEmail: z.boolean().optional(),
  source: z.string().optional(),
  importedAt: z.string().optional(),
});
type CustomerView = z.output<typeof customerAnswer>;

interface ImportSummary {
  readonly file: string;
  readonly target: string;
  readonly imported: number;
  readonly rejects: readonly LineIssue[];
  readonly warnings: readonly LineIssue[];
}

/** Usage errors exit 2, as the root program's do (commander does not pass its exit override down). */
const usage = (c: Command) => c.exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));

export function customersCommand(): Command {
  const cmd = usage(new Command('customers')).description(
    'the customer directory (customer id → CRM account, owner, region, tier): import a file, show one customer',
  );
  const withRemote = (c: Command) =>
    usage(c)
      .option('--url <url>', "a running server's base URL (e.g. http://127.0.0.1:8080): go through its API")
      .option('--token <jwt>', 'bearer token for --url (dockside token --user U --role admin)')
      .option('--json', 'machine output (JSON)');
  cmd.addCommand(
    withRemote(
      new Command('import')
        .description(
          'import customers from an NDJSON or CSV (header row) file; a re-import updates (the latest wins)',
        )
        .argument(
          '<file>',
          'customers file: customerId, crmAccountId|crmExternalId, ownerUserId, region, tier …',
        )
        .addOption(
          new Option('--format <format>', 'file format').choices(['auto', 'ndjson', 'csv']).default('auto'),
        )
        .option('--strict', 'import nothing when any line is rejected'),
    ).action(async (file: string, raw: unknown) => {
      await runCli('customers import', async () => {
        const opts = options(importOptions, raw);
        const text = await readFile(file, 'utf8').catch((cause: unknown) => {
          throw new UsageError(
            `cannot read ${file}: ${cause instanceof Error ? cause.message : String(cause)}`,
            {
              cause,
            },
          );
        });
        const format = opts.format === 'auto' ? formatOfName(file) : opts.format;
        const summary = opts.url
          ? await importRemote(
              opts.url,
              opts.token,
              file,
              text,
              format === 'auto' ? detectFormat(text) : format,
              opts.strict,
            )
          : await importLocal(file, text, format, opts.strict === true);
        await printImport(summary, opts.json === true, opts.strict === true);
        return summary.rejects.length > 0 ? 2 : 0;
      });
    }),
  );
  cmd.addCommand(
    withRemote(new Command('get').description('show one customer').argument('<id>', 'customer id')).action(
      async (id: string, raw: unknown) => {
        await runCli('customers get', async () => {
          const opts = options(remoteOptions, raw);
          const found = opts.url ? await getRemote(opts.url, opts.token, id) : await getLocal(id);
          if (!found) {
            await writeLine(
              process.stderr,
              `dockside customers get: customer ${JSON.stringify(id)} is not in the directory`,
            );
            return 1;
          }
          await writeLine(process.stdout, opts.json ? JSON.stringify(found) : customerText(found));
          return 0;
        });
      },
    ),
  );
  return cmd;
}

function options<S extends z.ZodType>(schema: S, raw: unknown): z.output<S> {
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  const why = r.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('; ');
  throw new UsageError(why, { cause: r.error });
}

/** The composition edge: the only place this module reads the environment. */
async function withStore<T>(use: (store: Store, database: string) => Promise<T>): Promise<T> {
  const config = loadConfig(process.env);
  const store = await openStore(config);
  try {
    await migrate(store, config.clickhouse, directoryMigrations);
    return await use(store, config.clickhouse.database);
  } finally {
    await store.close();
  }
}

async function importLocal(
  file: string,
  text: string,
  format: 'auto' | 'ndjson' | 'csv',
  strict: boolean,
): Promise<ImportSummary> {
  const parsed = parseCustomers(text, { format, source: `file:${path.basename(file)}` });
  if (parsed.entries.length === 0 && parsed.rejects.length === 0)
    throw new UsageError(`${file} holds no customers`);
  const skip = parsed.entries.length === 0 || (strict && parsed.rejects.length > 0);
  const imported = skip
    ? 0
    : await withStore(
        async (store, db) => (await importCustomers(store, db, parsed.entries, parsed.source)).imported,
      );
  const target = skip ? 'nothing written' : 'ClickHouse';
  return { file, target, imported, rejects: parsed.rejects, warnings: parsed.warnings };
}

async function importRemote(
  url: string,
  token: string | undefined,
  file: string,
  text: string,
  format: 'ndjson' | 'csv',
  strict: boolean | undefined,
): Promise<ImportSummary> {
  const res = await call(`${base(url)}/api/customers${strict ? '?strict=true' : ''}`, token, 'POST', {
    text,
    contentType: format === 'csv' ? 'text/csv' : 'application/x-ndjson',
  });
  const body: unknown = await res.json().catch(() => undefined);
  const answer = importAnswer.safeParse(body);
  if (!answer.success) throw failure(res, body);
  return { file, target: base(url), ...answer.data };
}

async function getLocal(id: string): Promise<CustomerView | undefined> {
  const config = loadConfig(process.env);
  const { users } = await UserDirectory.fromFile(config.writeback.usersFile);
  const found = await withStore((store, db) => getCustomer(store, db, id));
  if (!found) return undefined;
  const { contactEmail, ...rest } = found;
  return {
    ...rest,
    hasContactEmail: contactEmail !== undefined,
    ownerName: users.get(found.ownerUserId)?.name ?? null,
  };
}

async function getRemote(
  url: string,
  token: string | undefined,
  id: string,
): Promise<CustomerView | undefined> {
  const res = await call(`${base(url)}/api/customers/${encodeURIComponent(id)}`, token, 'GET');
  if (res.status === 404) return undefined;
  const body: unknown = await res.json().catch(() => undefined);
  const answer = customerAnswer.safeParse(body);
  if (!res.ok || !answer.success) throw failure(res, body);
  return answer.data;
}

const base = (url: string) => url.replace(/\/+$/, '');

async function call(
  url: string,
  token: string | undefined,
  method: 'GET' | 'POST',
  body?: { text: string; contentType: string },
): Promise<Response> {
  const headers: Record<string, string> = {
    accept: 'application/json',
    ...(token ? { authorization: `Bearer ${token}` } : {}),
    ...(body ? { 'content-type': body.contentType } : {}),
  };
  try {
    return await fetch(url, { method, headers, ...(body ? { body: body.text } : {}) });
  } catch (cause) {
    throw new TargetError(`cannot reach ${url}: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
  }
}

/** The server answered but not with a result: its own error message when it sent one. */
class TargetError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TargetError';
  }
}

function failure(res: Response, body: unknown): TargetError {
  const err = errorAnswer.safeParse(body);
  const what = err.success ? `${err.data.error.code}: ${err.data.error.message}` : 'an unexpected answer';
  return new TargetError(`the server answered ${res.status} (${what})`);
}

async function printImport(s: ImportSummary, json: boolean, strict: boolean): Promise<void> {
  if (json) {
    await writeLine(process.stdout, JSON.stringify(s));
    return;
  }
  for (const r of s.rejects) await writeLine(process.stderr, `rejected ${r.message}`);
  for (const w of s.warnings) await writeLine(process.stderr, `warning ${w.message}`);
  const refused = strict && s.rejects.length > 0 ? ' (--strict: nothing imported)' : '';
  await writeLine(
    process.stdout,
    `imported ${s.imported} customer(s) from ${s.file} into ${s.target}; rejected ${s.rejects.length} line(s)${refused}`,
  );
}

function customerText(c: CustomerView): string {
  const rows: [string, string | undefined][] = [
    ['CRM account', c.crmAccountId],
    ['external id', c.crmExternalId],
    ['owner', `${c.ownerUserId}${c.ownerName ? ` (${c.ownerName})` : ''}`],
    ['name', c.name],
    ['contact e-mail', c.hasContactEmail ? 'on file' : 'none'],
    ['source', c.source && c.importedAt ? `${c.source}, imported ${c.importedAt}` : c.source],
  ];
  return [
    `${c.customerId}  ${c.tier}  ${c.region}`,
    ...rows.filter(([, v]) => v !== undefined).map(([k, v]) => `  ${k.padEnd(15)}${v}`),
  ].join('\n');
}

async function runCli(name: string, action: () => Promise<number>): Promise<void> {
  try {
    process.exitCode = await action();
  } catch (err) {
    if (err instanceof UsageError) {
      await writeLine(process.stderr, `dockside ${name}: ${err.message}`);
      process.exitCode = 2;
      return;
    }
    if (err instanceof TargetError) {
      await writeLine(process.stderr, `dockside ${name}: ${err.message}`);
      process.exitCode = 1;
      return;
    }
    throw err;
  }
}

async function writeLine(stream: NodeJS.WritableStream, line: string): Promise<void> {
  if (!stream.write(`${line}\n`)) await once(stream, 'drain');
}
