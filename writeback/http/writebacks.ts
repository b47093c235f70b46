import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import {
  type AccessPolicy,
  ForbiddenError,
  type JetStreamPublisher,
  parseRequest,
  RejectError,
} from '../../core/mod.ts';
import { enqueue } from '../pipeline/commands.ts';
import type { IndexedKv } from '../pipeline/indexed-kv.ts';
import type { WritebackNames } from '../pipeline/names.ts';
import type { ActivityLog, Directory, PolicySource } from '../pipeline/ports.ts';
import { type RollbackDeps, rollbackWrite } from '../pipeline/rollback.ts';
import { type WriteState, writeStatuses } from '../pipeline/write-state.ts';
import { canActOnAccount, canSee } from './scope.ts';

export interface WritebackRouteDeps {
  readonly writes: IndexedKv<WriteState>;
  readonly rollback: RollbackDeps;
  readonly directory: Directory;
  readonly access: () => AccessPolicy;
  readonly publisher: JetStreamPublisher;
  readonly names: WritebackNames;
  readonly log: ActivityLog;
  readonly now: () => number;
}

export const listQuery = z.strictObject({
  status: z.enum(writeStatuses).optional(),
  customerId: z.string().max(128).optional(),
  exceptionId: z.string().max(256).optional(),
  approvalId: z.string().max(128).optional(),
  limit: z.coerce.number().int().min(1).max(1_000).default(100),
  offset: z.coerce.number().int().min(0).default(0),
});
export const idParam = z.object({ id: z.string().regex(/^wr-[0-9a-f]+$/, 'a write-back id like wr-<hex>') });
export const rollbackBody = z.strictObject({ reason: z.string().trim().min(1).max(2_000) });

/** A write as the screens show it: its state plus how long it may still be rolled back. */
export function writeView(w: WriteState, rollbackMinutes: number | undefined, nowMs: number) {
  const closesAt =
    w.status === 'applied' && w.appliedAt && rollbackMinutes !== undefined
      ? new Date(Date.parse(w.appliedAt) + rollbackMinutes * 60_000).toISOString()
      : null;
  return { ...w, rollbackClosesAt: closesAt, canRollBack: closesAt !== null && Date.parse(closesAt) > nowMs };
}
const view = writeView;

/** The policy's rollback window in minutes, or undefined when it does not allow rollback. */
export function rollbackMinutes(policy: PolicySource): number | undefined {
  const rb = policy().policy.safety?.rollback;
  return rb?.enabled ? rb.max_minutes_since_writeback : undefined;
}

export function registerWritebackRoutes(app: FastifyInstance, deps: WritebackRouteDeps): void {
  const owner = (w: WriteState) => {
    const c = deps.directory.get(w.customerId);
    return { region: c?.region ?? '', ownerUserId: c?.ownerUserId ?? '' };
  };
  const minutes = () => rollbackMinutes(deps.rollback.policy);

  app.get('/api/writebacks', async (req) => {
    const q = parseRequest(listQuery, req.query);
    const all = deps.writes
      .values()
      .filter(
        (w) =>
          (!q.status || w.status === q.status) &&
          (!q.customerId || w.customerId === q.customerId) &&
          (!q.exceptionId || w.exceptionId === q.exceptionId) &&
          (!q.approvalId || w.approvalId === q.approvalId) &&
          canSee(req.principal, deps.access(), owner(w)),
      )
      .sort((a, b) => (a.updatedAt < b.updatedAt ? 1 : a.updatedAt > b.updatedAt ? -1 : 0));
    const now = deps.now();
    return {
      items: all.slice(q.offset, q.offset + q.limit).map((w) => view(w, minutes(), now)),
      total: all.length,
      limit: q.limit,
      offset: q.offset,
    };
  });

  const load = async (id: string) => {
    const w = (await deps.writes.kv.get(id))?.value;
    if (!w)
      throw new RejectError('WRITE_NOT_FOUND', `write-back ${id} does not exist`, [], { httpStatus: 404 });
    return w;
  };

  app.get('/api/writebacks/:id', async (req) => {
    const { id } = parseRequest(idParam, req.params);
    const w = await load(id);
    if (!canSee(req.principal, deps.access(), owner(w))) {
      throw new RejectError('WRITE_NOT_FOUND', `write-back ${id} does not exist`, [], { httpStatus: 404 });
    }
    return view(w, minutes(), deps.now());
  });

  app.post('/api/writebacks/:id/rollback', async (req) => {
    const { id } = parseRequest(idParam, req.params);
    const body = parseRequest(rollbackBody, req.body ?? {});
    const w = await load(id);
    if (!canActOnAccount(req.principal, owner(w))) {
      throw new ForbiddenError(
        `${req.principal.userId} may not roll back writes on customer ${w.customerId}'s account`,
      );
    }
    const done = await rollbackWrite(id, req.principal.userId, body.reason, deps.rollback);
    deps.writes.remember(done);
    return view(done, minutes(), deps.now());
  });

  /** Re-drive a failed (or held) write after the cause was fixed: back on the outbox with a fresh message id. */
  app.post('/api/writebacks/:id/redrive', async (req, reply) => {
    const { id } = parseRequest(idParam, req.params);
    const w = await load(id);
    if (w.status !== 'failed' && w.status !== 'held') {
      throw new RejectError(
        'WRITE_NOT_FAILED',
        `write-back ${id} is ${w.status}; only failed or held writes are re-driven`,
        [],
        {
          httpStatus: 409,
        },
      );
    }
    const next = await deps.writes.kv.mutate(id, (c) =>
      c && (c.status === 'failed' || c.status === 'held')
        ? {
            ...c,
            status: 'queued',
            generation: c.generation + 1,
            updatedAt: new Date(deps.now()).toISOString(),
          }
        : undefined,
    );
    if (!next)
      throw new RejectError('WRITE_CONFLICT', `write-back ${id} changed meanwhile; reload it`, [], {
        httpStatus: 409,
      });
    await deps.log.record({
      kind: 'write_redriven',
      actor: req.principal.userId,
      reasonCode: 'redrive',
      policyVersion: w.policyVersion,
      exceptionId: w.exceptionId,
      customerId: w.customerId,
      ref: w.id,
      details: { generation: next.value.generation, previousStatus: w.status },
    });
    await enqueue(
      deps.publisher,
      deps.names,
      {
        kind: 'crm_write',
        id: w.id,
        exceptionId: w.exceptionId,
        policyVersion: w.policyVersion,
        evidence: [],
        detectedAt: w.createdAt,
        customerId: w.customerId,
        account: w.account,
        fields: w.fields,
        ...(w.approvalId ? { approvalId: w.approvalId } : {}),
        actor: req.principal.userId,
      },
      `${w.id}:g${next.value.generation}`,
    );
    deps.writes.remember(next.value);
    return reply.code(202).send(view(next.value, minutes(), deps.now()));
  });
}
