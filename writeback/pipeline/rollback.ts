import { RejectError } from '../../core/mod.ts';
import type { CrmAdapter, FieldValue } from '../crm/adapter.ts';
import { TargetUnavailableError } from '../errors.ts';
import type { Breaker } from './crm-write.ts';
import { matchesTarget, transitionWrite } from './crm-write.ts';
import type { JsonKv } from './json-kv.ts';
import type { ActivityLog, PolicySource } from './ports.ts';
import type { WriteState } from './write-state.ts';

export interface RollbackDeps {
  readonly writes: JsonKv<WriteState>;
  readonly crm: CrmAdapter | undefined;
  readonly breaker: Breaker;
  readonly log: ActivityLog;
  readonly policy: PolicySource;
  readonly now: () => number;
}

const refuse = (code: string, message: string, httpStatus = 409) =>
  new RejectError(code, message, [], { httpStatus });

/**
 * Restores the values read before a write, inside the policy's rollback window, and only if the CRM still
 * holds what Dockside wrote (a person may have changed it since: then their value stands and the rollback is
 * refused, naming the field). `applied → rolling_back` is a compare-and-set, so two clicks roll back once.
 */
export async function rollbackWrite(
  id: string,
  actor: string,
  reason: string,
  deps: RollbackDeps,
): Promise<WriteState> {
  const active = deps.policy();
  const rb = active.policy.safety?.rollback;
  const cur = await deps.writes.get(id);
  if (!cur) throw refuse('WRITE_NOT_FOUND', `write-back ${id} does not exist`, 404);
  const w = cur.value;
  const base = {
    actor,
    policyVersion: active.version,
    exceptionId: w.exceptionId,
    customerId: w.customerId,
    ref: w.id,
  };
  const refused = async (code: string, message: string, httpStatus = 409) => {
    await deps.log.record({
      ...base,
      kind: 'rollback_refused',
      reasonCode: code.toLowerCase(),
      details: { message, reason },
    });
    return refuse(code, message, httpStatus);
  };
  if (!rb?.enabled)
    throw await refused('ROLLBACK_DISABLED', 'the policy does not allow rollback (safety.rollback.enabled)');
  if (w.status === 'rolled_back') {
    throw refuse(
      'ALREADY_ROLLED_BACK',
      `write-back ${id} was rolled back at ${w.rolledBackAt} by ${w.rolledBackBy}`,
    );
  }
  if (w.status !== 'applied' && w.status !== 'rolling_back') {
    throw refuse('WRITE_NOT_APPLIED', `write-back ${id} is ${w.status}: there is nothing to roll back`);
  }
  const maxMinutes = rb.max_minutes_since_writeback;
  const appliedMs = Date.parse(w.appliedAt ?? w.updatedAt);
  if (maxMinutes !== undefined && deps.now() - appliedMs > maxMinutes * 60_000) {
    const closed = new Date(appliedMs + maxMinutes * 60_000).toISOString();
    throw await refused(
      'ROLLBACK_WINDOW_CLOSED',
      `write-back ${id} was applied at ${w.appliedAt}; the policy allows rollback within ${maxMinutes} minutes (the window closed at ${closed})`,
    );
  }
  if (!deps.crm)
    throw refuse('CRM_NOT_CONFIGURED', 'no CRM adapter is configured: nothing can be rolled back', 503);
  const crm = deps.crm;
  let state = w;
  if (w.status === 'applied') {
    const moved = await deps.writes.update(
      w.id,
      { ...w, status: 'rolling_back', updatedAt: new Date(deps.now()).toISOString() },
      cur.revision,
    );
    if (moved === undefined)
      throw refuse('WRITE_CONFLICT', `write-back ${id} changed while rolling back; reload it`);
    state = { ...w, status: 'rolling_back' };
  }
  const names = state.fields.map((f) => f.name);
  const previous: Record<string, FieldValue> = Object.fromEntries(
    names.map((n) => [n, state.previous?.[n] ?? null]),
  );
  try {
    const restored = await deps.breaker.run(async () => {
      const current = await crm.readFields(state.account, names);
      if (matchesTarget(current, state.fields)) {
        if (!state.noop) await crm.writeFields(state.account, previous, `${state.id}:rollback`);
        return true;
      }
      // Already back to the previous values (a rollback that crashed after its PATCH)?
      if (names.every((n) => String(current[n] ?? null) === String(previous[n] ?? null))) return true;
      const changed = state.fields.filter((f) => String(current[f.name] ?? null) !== String(f.value));
      throw await refused(
        'ROLLBACK_CONFLICT',
        `the CRM value changed since Dockside wrote it: ${changed.map((f) => `${f.name} is now ${JSON.stringify(current[f.name] ?? null)} (Dockside wrote ${JSON.stringify(f.value)})`).join('; ')}; the rollback would overwrite someone else's change`,
      );
    });
    if (!restored) throw refuse('ROLLBACK_FAILED', 'rollback did not complete');
  } catch (err) {
    await deps.writes.mutate(state.id, (c) =>
      c && c.status === 'rolling_back' ? { ...c, status: 'applied' } : undefined,
    );
    if (err instanceof TargetUnavailableError) {
      throw new RejectError('TARGET_UNAVAILABLE', `${err.message}; try the rollback again later`, [], {
        httpStatus: 503,
        cause: err,
      });
    }
    throw err;
  }
  const done = await transitionWrite(
    deps,
    state,
    { status: 'rolled_back', rolledBackAt: new Date(deps.now()).toISOString(), rolledBackBy: actor },
    { outcome: 'rolled_back' },
  );
  await deps.log.record({
    ...base,
    kind: 'rollback_applied',
    reasonCode: 'rolled_back',
    details: { reason, restored: previous, target: crm.target },
  });
  return done;
}
