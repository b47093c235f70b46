import { z } from 'zod';
import { type Config, keySource, type Logger, mintToken } from '../../core/mod.ts';
import type { Dockside } from '../runtime.ts';

/**
 * A simulated RevOps manager for `dockside demo`. Tier-1 write-backs wait for a RevOps manager first and
 * the account owner second, so without a first decision an account owner's inbox stays empty. Raj (a
 * RevOps manager of the demo directory, not one of the sign-in users) approves the first step of every
 * other approval of the demo's account owner's customers in his region, as they arrive, through the same
 * HTTP API and checks a person would use; the rest stay waiting for the RevOps manager who signs in (Rita).
 */
export const DEMO_REVOPS = {
  userId: 'revops-raj',
  name: 'Raj RevOps',
  roles: ['revops_manager'],
  regions: ['us-southeast'],
} as const;
export const DEMO_OWNER = 'owner-ana';
const REASON = 'demo: simulated RevOps approval, so the account owner has approvals waiting';

const listBody = z.object({
  items: z.array(
    z.object({
      id: z.string(),
      ownerUserId: z.string().optional(),
      current: z.number(),
      canDecide: z.boolean(),
    }),
  ),
});

export interface DemoRevops {
  /** How many first steps it approved. */
  approved(): number;
  stop(): Promise<void>;
}

export async function startDemoRevops(
  dockside: Dockside,
  config: Config,
  logger: Logger,
  opts: { intervalMs?: number; owner?: string } = {},
): Promise<DemoRevops> {
  const auth = config.writeback.auth;
  const source = auth.enabled ? keySource(auth) : undefined;
  if (source === 'public-key' || source === 'jwks') {
    return { approved: () => 0, stop: async () => undefined };
  }
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (auth.enabled) {
    const minted = await mintToken(
      auth,
      { ...DEMO_REVOPS, roles: [...DEMO_REVOPS.roles], regions: [...DEMO_REVOPS.regions] },
      '12h',
    );
    headers.authorization = `Bearer ${minted.token}`;
  }
  const owner = opts.owner ?? DEMO_OWNER;
  const seen = new Set<string>();
  let approved = 0;
  let stopped = false;
  const tick = async () => {
    const res = await dockside.server.inject({
      method: 'GET',
      url: '/api/approvals?mine=1&status=pending&limit=200',
      headers,
    });
    if (res.statusCode !== 200) return;
    for (const a of listBody.parse(res.json()).items) {
      if (stopped) return;
      if (seen.has(a.id) || a.ownerUserId !== owner || a.current !== 0 || !a.canDecide) continue;
      seen.add(a.id);
      // The first, third, fifth … it can decide, in the order they arrive; the others stay for a person.
      if (seen.size % 2 === 0) continue;
      const r = await dockside.server.inject({
        method: 'POST',
        url: `/api/approvals/${a.id}/approve`,
        headers,
        payload: { reason: REASON, step: 0 },
      });
      if (r.statusCode === 200) approved++;
      else logger.debug({ approval: a.id, status: r.statusCode }, 'demo RevOps approval not taken');
    }
  };
  let running: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    running = running.then(tick).catch((err: unknown) => logger.warn({ err }, 'demo RevOps tick failed'));
  }, opts.intervalMs ?? 2_000);
  return {
    approved: () => approved,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
