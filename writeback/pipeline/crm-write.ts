import type { AccountRef, CrmAdapter, FieldValue } from '../crm/adapter.ts';
import { writableFields } from '../decide.ts';
import { CircuitOpenError } from '../delivery/breaker.ts';
import { TargetRejectedError, TargetUnavailableError } from '../errors.ts';
import type { CommandOf } from './commands.ts';
import type { JsonKv } from './json-kv.ts';
import type { ActivityLog, PolicySource } from './ports.ts';
import type { Attempt, WriteState } from './write-state.ts';

export interface Breaker {
  run<T>(fn: () => Promise<T>): Promise<T>;
}

export interface CrmWriteDeps {
  readonly writes: JsonKv<WriteState>;
  readonly crm: CrmAdapter | undefined;
  readonly breaker: Breaker;
  readonly log: ActivityLog;
  readonly policy: PolicySource;
  readonly maxAttempts: number;
  readonly now: () => number;
}

/** What the outbox does with the message after one execution. */
export type WriteResult =
  | { readonly kind: 'done'; readonly state: WriteState }
  | { readonly kind: 'retry'; readonly state: WriteState; readonly error: TargetUnavailableError }
  | { readonly kind: 'failed'; readonly state: WriteState };

const iso = (ms: number) => new Date(ms).toISOString();
const same = (a: FieldValue | undefined, b: FieldValue) => a !== undefined && String(a) === String(b);
const finished = new Set<WriteState['status']>(['applied', 'failed', 'rolling_back', 'rolled_back']);

function target(fields: WriteState['fields']): Record<string, FieldValue> {
  return Object.fromEntries(fields.map((f) => [f.name, f.value]));
}

export function matchesTarget(current: Record<string, FieldValue>, fields: WriteState['fields']): boolean {
  return fields.every((f) => same(current[f.name], f.value));
}

/**
 * Executes one CRM field write at most once (see write-state.ts for the protocol). Only fields that some
 * write-back rule of the policy in force lists are ever sent, whatever the command says.
 */
export async function executeCrmWrite(cmd: CommandOf<'crm_write'>, deps: CrmWriteDeps): Promise<WriteResult> {
  const { writes, log } = deps;
  const active = deps.policy();
  const allowed = writableFields(active.policy);
  const fields = cmd.fields.filter((f) => allowed.has(f.name));
  const refused = cmd.fields.filter((f) => !allowed.has(f.name)).map((f) => f.name);
  const base = {
    exceptionId: cmd.exceptionId,
    customerId: cmd.customerId,
    ref: cmd.id,
    policyVersion: active.version,
    evidence: cmd.evidence,
  };
  const created = await writes.mutate(cmd.id, (cur) =>
    cur
      ? undefined
      : {
          id: cmd.id,
          exceptionId: cmd.exceptionId,
          customerId: cmd.customerId,
          ...(cmd.approvalId ? { approvalId: cmd.approvalId } : {}),
          account: cmd.account,
          target: deps.crm?.target ?? 'none',
          fields,
          status: 'queued',
          actor: cmd.actor,
          policyVersion: cmd.policyVersion,
          createdAt: iso(deps.now()),
          updatedAt: iso(deps.now()),
          attempts: [],
          generation: 0,
        },
  );
  let state = created?.value ?? (await writes.get(cmd.id))?.value;
  if (!state) throw new Error(`write ${cmd.id} vanished from KV`);
  if (finished.has(state.status)) return { kind: 'done', state };
  if (refused.length > 0) {
    await log.record({
      ...base,
      kind: 'write_refused',
      actor: 'system:outbox',
      reasonCode: 'field_not_allowed',
      details: {
        refused,
        note: 'no write-back rule of the policy lists these fields; they are never written',
      },
    });
  }
  // systems.crm.objects lists the objects Dockside may write fields on; risk fields live on the Account.
  const objects = active.policy.systems?.crm?.objects;
  if (objects && !objects.includes('Account')) {
    state = await transition(
      deps,
      state,
      { status: 'failed', failure: 'the policy does not list Account in systems.crm.objects' },
      { outcome: 'failed', code: 'OBJECT_NOT_ALLOWED' },
    );
    return { kind: 'failed', state };
  }
  if (fields.length === 0) {
    state = await transition(
      deps,
      state,
      { status: 'failed', failure: 'no field of the write is allowed by the policy' },
      {
        outcome: 'failed',
        code: 'FIELD_NOT_ALLOWED',
      },
    );
    return { kind: 'failed', state };
  }
  if (!deps.crm) {
    if (state.status !== 'held') {
      state = await transition(
        deps,
        state,
        { status: 'held', heldReason: 'crm_not_configured' },
        { outcome: 'held' },
      );
      await log.record({
        ...base,
        kind: 'write_held',
        actor: 'system:outbox',
        reasonCode: 'crm_not_configured',
      });
    }
    return { kind: 'done', state };
  }
  const crm = deps.crm;
  const account: AccountRef = cmd.account;
  const names = fields.map((f) => f.name);
  try {
    state = await deps.breaker.run(async () => {
      let s = state as WriteState;
      let fresh = false;
      if (s.status === 'queued' || s.status === 'held') {
        const previous = await crm.readFields(account, names);
        if (matchesTarget(previous, fields)) {
          return transition(
            deps,
            s,
            { status: 'applied', previous, noop: true, appliedAt: iso(deps.now()) },
            {
              outcome: 'noop',
            },
          );
        }
        s = await transition(deps, s, { status: 'prepared', previous, target: crm.target }, undefined);
        fresh = true;
      }
      if (!fresh) {
        // A retry: the PATCH may have landed before a crash or a lost response. Read before writing again.
        const current = await crm.readFields(account, names);
        if (matchesTarget(current, fields)) {
          return transition(
            deps,
            s,
            { status: 'applied', appliedAt: iso(deps.now()) },
            { outcome: 'already_applied' },
          );
        }
      }
      await crm.writeFields(account, target(fields), cmd.id);
      return transition(deps, s, { status: 'applied', appliedAt: iso(deps.now()) }, { outcome: 'applied' });
    });
    await log.record({
      ...base,
      kind: 'write_applied',
      actor: cmd.actor,
      reasonCode: state.noop ? 'already_set' : 'written',
      details: {
        target: crm.target,
        account,
        fields: target(fields),
        previous: state.previous ?? {},
        approvalId: cmd.approvalId ?? null,
      },
    });
    return { kind: 'done', state };
  } catch (err) {
    if (err instanceof CircuitOpenError) {
      // Not an attempt: the breaker refused without calling the target. Come back when it lets one through.
      return { kind: 'retry', state, error: err };
    }
    if (err instanceof TargetUnavailableError) {
      // Retries since the last failure or hold: a re-driven write gets a fresh allowance.
      const restart = state.attempts.findLastIndex((a) => a.outcome === 'failed' || a.outcome === 'held');
      const tries = state.attempts.slice(restart + 1).filter((a) => a.outcome === 'retry').length + 1;
      const attempt: Attempt = {
        at: iso(deps.now()),
        outcome: tries >= deps.maxAttempts ? 'failed' : 'retry',
        error: err.message,
        code: err.code,
        ...(err.status !== undefined ? { status: err.status } : {}),
      };
      if (tries >= deps.maxAttempts) {
        state = await transition(
          deps,
          state,
          { status: 'failed', failure: `gave up after ${tries} attempts: ${err.message}` },
          attempt,
        );
        return { kind: 'failed', state };
      }
      state = await transition(deps, state, {}, attempt);
      await log.record({
        ...base,
        kind: 'write_attempt',
        actor: 'system:outbox',
        reasonCode: 'target_unavailable',
        details: { attempt: tries, error: err.message, retryAfterMs: err.retryAfterMs ?? null },
      });
      return { kind: 'retry', state, error: err };
    }
    if (err instanceof TargetRejectedError) {
      state = await transition(
        deps,
        state,
        { status: 'failed', failure: err.message },
        {
          at: iso(deps.now()),
          outcome: 'failed',
          error: err.message,
          code: err.code,
          ...(err.status !== undefined ? { status: err.status } : {}),
        },
      );
      return { kind: 'failed', state };
    }
    throw err;
  }
}

/** One CAS step on the write's state, re-reading under contention; the attempt (if any) joins its history. */
async function transition(
  deps: Pick<CrmWriteDeps, 'writes' | 'now'>,
  state: WriteState,
  patch: Partial<WriteState>,
  attempt: Omit<Attempt, 'at'> | Attempt | undefined,
): Promise<WriteState> {
  const at = iso(deps.now());
  const result = await deps.writes.mutate(state.id, (cur) => {
    const base = cur ?? state;
    return {
      ...base,
      ...patch,
      updatedAt: at,
      attempts: attempt ? [...base.attempts, { at, ...attempt }] : base.attempts,
    };
  });
  if (!result) throw new Error(`write ${state.id}: state update produced nothing`);
  return result.value;
}

export { transition as transitionWrite };
