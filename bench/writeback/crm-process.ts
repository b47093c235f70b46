import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { SalesforceContract } from '../../test/contract/salesforce.ts';

/**
 * The Salesforce-contract server in its own process, so the CRM's work does not run on the thread the
 * bench measures (a real CRM is on another machine). One JSON line per message over stdio: the parent sends
 * `{ref, insert: {object, fields}}`; the child answers `{ref, id}`, announces `{env}` once, and reports every
 * applied write as `{applied: {object, id, at}}` (`at`: epoch ms with sub-ms precision, comparable across
 * processes).
 */
const request = z.object({
  ref: z.number(),
  insert: z.object({ object: z.string(), fields: z.record(z.string(), z.string().nullable()) }),
});
const reply = z.object({
  env: z.record(z.string(), z.string()).optional(),
  ref: z.number().optional(),
  id: z.string().optional(),
  applied: z.object({ object: z.string(), id: z.string(), at: z.number() }).optional(),
});

if (process.argv[2] === '--child') {
  const sf = await SalesforceContract.start();
  const say = (obj: unknown): void => {
    process.stdout.write(`${JSON.stringify(obj)}\n`);
  };
  sf.onApply = (entry) =>
    say({ applied: { object: entry.object, id: entry.id, at: performance.timeOrigin + performance.now() } });
  say({ env: sf.env() });
  for await (const line of createInterface({ input: process.stdin })) {
    const msg = request.parse(JSON.parse(line));
    say({ ref: msg.ref, id: sf.insert(msg.insert.object, msg.insert.fields) });
  }
  await sf.close();
  process.exit(0);
}

export interface CrmProcess {
  readonly env: Record<string, string>;
  insert(object: string, fields: Record<string, string | null>): Promise<string>;
  /** Called for every write the CRM applied. */
  onApplied: ((a: { object: string; id: string; at: number }) => void) | undefined;
  close(): Promise<void>;
}

export async function startCrmProcess(): Promise<CrmProcess> {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const child: ChildProcess = spawn(
    process.execPath,
    [path.join(here, '../../bin/run-ts.js'), path.join(here, 'crm-process.ts'), '--child'],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const waiting = new Map<number, (id: string) => void>();
  let ref = 0;
  let envResolve!: (env: Record<string, string>) => void;
  const envReady = new Promise<Record<string, string>>((r) => {
    envResolve = r;
  });
  const proc: CrmProcess = {
    env: {},
    onApplied: undefined,
    insert(object, fields) {
      const r = ++ref;
      return new Promise((resolve) => {
        waiting.set(r, resolve);
        child.stdin?.write(`${JSON.stringify({ ref: r, insert: { object, fields } })}\n`);
      });
    },
    async close() {
      child.stdin?.end();
      await new Promise((r) => child.once('exit', r));
    },
  };
  void (async () => {
    if (!child.stdout) return;
    for await (const line of createInterface({ input: child.stdout })) {
      const msg = reply.parse(JSON.parse(line));
      if (msg.env) envResolve(msg.env);
      else if (msg.applied) proc.onApplied?.(msg.applied);
      else if (msg.ref !== undefined && msg.id) {
        waiting.get(msg.ref)?.(msg.id);
        waiting.delete(msg.ref);
      }
    }
  })();
  return Object.assign(proc, { env: await envReady });
}
