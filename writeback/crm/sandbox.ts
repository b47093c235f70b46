import { createHash } from 'node:crypto';
import type { KV } from '@nats-io/kv';
import { z } from 'zod';
import { TargetRejectedError, TargetUnavailableError } from '../errors.ts';
import type { AccountRef, CrmAccountRecord, CrmAdapter, CrmTask, FieldValue } from './adapter.ts';
import { fieldValueSchema } from './fields.ts';

/**
 * A CRM for demos with none: account fields and tasks live in a NATS KV bucket (given by the caller), so
 * every Dockside process of a deployment sees the same "CRM" and the demo can show writes and rollbacks.
 * Field names are the policy's; there is no mapping and no validation beyond JSON scalars.
 */

const TARGET = 'sandbox';

const accountSchema = z.object({
  account: z.object({ id: z.string().optional(), externalId: z.string().optional() }),
  fields: z.record(z.string(), fieldValueSchema),
  /** Applied writes, for the demo's "exactly once" view. */
  writes: z.number().int().nonnegative(),
  lastKey: z.string().optional(),
  updatedAt: z.string(),
});
export type SandboxAccount = z.output<typeof accountSchema>;

const taskSchema = z.object({
  id: z.string(),
  key: z.string(),
  account: z.object({ id: z.string().optional(), externalId: z.string().optional() }),
  subject: z.string(),
  description: z.string(),
  priority: z.enum(['High', 'Normal', 'Low']).optional(),
  activityDate: z.string().optional(),
  createdAt: z.string(),
});
export type SandboxTask = z.output<typeof taskSchema>;

/** KV keys allow [-/_=.a-zA-Z0-9]: any id is carried base64url-encoded. */
const enc = (s: string) => Buffer.from(s, 'utf8').toString('base64url');
const hash = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 16);

function refKey(account: AccountRef): string {
  if (account.id) return `account.i${enc(account.id)}`;
  if (account.externalId) return `account.e${enc(account.externalId)}`;
  throw new TargetRejectedError(
    TARGET,
    'ACCOUNT_UNADDRESSABLE',
    'the customer has neither an account id nor an external id',
  );
}

const plainRef = (a: AccountRef): SandboxAccount['account'] => ({
  ...(a.id ? { id: a.id } : {}),
  ...(a.externalId ? { externalId: a.externalId } : {}),
});

export class SandboxCrm implements CrmAdapter {
  readonly target = TARGET;

  constructor(
    private readonly kv: KV,
    private readonly now: () => number = Date.now,
  ) {}

  async readFields(account: AccountRef, fields: readonly string[]): Promise<Record<string, FieldValue>> {
    const cur = await this.read(refKey(account), accountSchema);
    return Object.fromEntries(fields.map((f) => [f, cur?.value.fields[f] ?? null]));
  }

  async writeFields(
    account: AccountRef,
    values: Readonly<Record<string, FieldValue>>,
    idempotencyKey: string,
  ): Promise<void> {
    const key = refKey(account);
    // Compare-and-set, so two processes writing the same account do not lose each other's fields.
    for (let i = 0; i < 20; i++) {
      const cur = await this.read(key, accountSchema);
      const next: SandboxAccount = {
        account: plainRef(account),
        fields: { ...(cur?.value.fields ?? {}), ...values },
        writes: (cur?.value.writes ?? 0) + 1,
        lastKey: idempotencyKey,
        updatedAt: new Date(this.now()).toISOString(),
      };
      if (await this.swap(key, next, cur?.revision)) return;
    }
    throw new TargetUnavailableError(TARGET, `account ${key} kept changing; try again`);
  }

  async upsertTask(account: AccountRef, task: CrmTask): Promise<{ id: string }> {
    refKey(account);
    const key = `task.${enc(task.key)}`;
    const record: SandboxTask = {
      id: `sbx-task-${hash(task.key)}`,
      key: task.key,
      account: plainRef(account),
      subject: task.subject,
      description: task.description,
      ...(task.priority ? { priority: task.priority } : {}),
      ...(task.activityDate ? { activityDate: task.activityDate } : {}),
      createdAt: new Date(this.now()).toISOString(),
    };
    // create() is refused when the key exists: a repeated task key yields the one task already there.
    if (await this.swap(key, record, undefined)) return { id: record.id };
    const existing = await this.read(key, taskSchema);
    if (!existing)
      throw new TargetUnavailableError(TARGET, `task ${task.key} could not be stored; try again`);
    return { id: existing.value.id };
  }

  async listAccounts(): Promise<CrmAccountRecord[]> {
    const out: CrmAccountRecord[] = [];
    for (const key of await this.keys('account.>')) {
      const a = (await this.read(key, accountSchema))?.value;
      const id = a?.account.id ?? a?.account.externalId;
      if (!a || !id) continue;
      out.push({
        id,
        ...(a.account.externalId ? { externalId: a.account.externalId } : {}),
        fields: a.fields,
      });
    }
    return out;
  }

  /** Every task in the sandbox (for the demo's view). */
  async listTasks(): Promise<SandboxTask[]> {
    const out: SandboxTask[] = [];
    for (const key of await this.keys('task.>')) {
      const t = (await this.read(key, taskSchema))?.value;
      if (t) out.push(t);
    }
    return out;
  }

  /** The stored account (fields, number of applied writes), or undefined. */
  async account(account: AccountRef): Promise<SandboxAccount | undefined> {
    return (await this.read(refKey(account), accountSchema))?.value;
  }

  private async keys(filter: string): Promise<string[]> {
    try {
      const out: string[] = [];
      for await (const k of await this.kv.keys(filter)) out.push(k);
      return out.sort();
    } catch (err) {
      throw new TargetUnavailableError(TARGET, 'listing the sandbox bucket failed', { cause: err });
    }
  }

  private async read<S extends z.ZodType>(
    key: string,
    schema: S,
  ): Promise<{ value: z.output<S>; revision: number } | undefined> {
    let entry: Awaited<ReturnType<KV['get']>>;
    try {
      entry = await this.kv.get(key);
    } catch (err) {
      throw new TargetUnavailableError(TARGET, `reading ${key} failed`, { cause: err });
    }
    if (entry?.operation !== 'PUT') return undefined;
    let data: unknown;
    try {
      data = entry.json();
    } catch {
      data = undefined; // not JSON: reported below as not matching the schema
    }
    const parsed = schema.safeParse(data);
    if (!parsed.success) {
      throw new TargetRejectedError(
        TARGET,
        'SANDBOX_RECORD_INVALID',
        `${key} in the sandbox bucket does not match its schema`,
        {
          cause: parsed.error,
        },
      );
    }
    return { value: parsed.data, revision: entry.revision };
  }

  /** create (revision undefined) or update at `revision`; false when someone else changed the key first. */
  private async swap(key: string, value: unknown, revision: number | undefined): Promise<boolean> {
    const data = JSON.stringify(value);
    try {
      if (revision === undefined) await this.kv.create(key, data);
      else await this.kv.update(key, data, revision);
      return true;
    } catch (err) {
      const now = await this.kv.get(key).catch(() => null);
      const moved =
        revision === undefined ? !!now && now.operation === 'PUT' : !!now && now.revision !== revision;
      if (moved) return false;
      throw new TargetUnavailableError(TARGET, `writing ${key} failed`, { cause: err });
    }
  }
}
