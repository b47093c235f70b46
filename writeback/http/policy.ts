import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { parseRequest, type Store } from '../../core/mod.ts';
import { queryShadow } from '../pipeline/shadow-sink.ts';
import type { PolicyHolder } from '../policy/holder.ts';
import { policyReport } from '../policy/report.ts';

export const shadowQuery = z.strictObject({
  shadowVersion: z.string().max(128).optional(),
  limit: z.coerce.number().int().min(1).max(1_000).default(100),
  offset: z.coerce.number().int().min(0).default(0),
});

/** `GET /api/policy`: the policy in force (version, source, what each key drives) and the shadow one. */
export function registerPolicyRoutes(
  app: FastifyInstance,
  deps: { holder: PolicyHolder; shadow: PolicyHolder | undefined; store: Store },
): void {
  const describe = (h: PolicyHolder) => {
    const a = h.current();
    return {
      version: a.version,
      source: a.source,
      loadedAt: a.loadedAt,
      name: a.policy.policy_name,
      owner: a.policy.owner ?? null,
      keys: policyReport(a.policy),
    };
  };
  app.get('/api/policy', async () => ({
    active: describe(deps.holder),
    shadow: deps.shadow ? describe(deps.shadow) : null,
  }));

  /** What the shadow policy would have done differently, with counts per change. */
  app.get('/api/writeback/shadow', async (req) => {
    const q = parseRequest(shadowQuery, req.query);
    const version = q.shadowVersion ?? deps.shadow?.current().version;
    const r = await queryShadow(deps.store, {
      ...(version ? { shadowVersion: version } : {}),
      limit: q.limit,
      offset: q.offset,
    });
    return {
      shadowVersion: version ?? null,
      activeVersion: deps.holder.current().version,
      counts: r.counts,
      items: r.items.map((row) => ({
        exceptionId: row.exception_id,
        exceptionVersion: Number(row.exception_version),
        exceptionType: row.exception_type,
        customerId: row.customer_id || null,
        at: row.at,
        active: JSON.parse(row.active) as unknown,
        shadow: JSON.parse(row.shadow) as unknown,
      })),
      limit: q.limit,
      offset: q.offset,
    };
  });
}
