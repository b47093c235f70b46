import { z } from 'zod';
import { RejectError, RetryableError } from '../core/mod.ts';
import type { ShownForecast } from './show-text.ts';
import type { Measure } from './store.ts';

/**
 * `forecast show --url`: the same forecast read through a running server's planner API
 * (`GET /api/forecasts?lane=…`, permission `forecasts:read`), for when `dockside up` holds the embedded
 * store. The whole stored forecast is asked for and cut to `days` here, so a shorter one is no error.
 */
const intervals = z.array(z.object({ level: z.number(), lower: z.number(), upper: z.number() }));
const answer = z.object({
  data: z.array(
    z.object({
      lane: z.string(),
      warehouse: z.string(),
      runId: z.string(),
      createdAt: z.string(),
      model: z.string(),
      points: z.array(z.object({ date: z.string(), mean: z.number(), intervals })),
    }),
  ),
});
const errorBody = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

export async function remoteForecasts(
  url: string,
  token: string | undefined,
  q: { lane: string; measure: Measure; warehouse?: string | undefined; days: number },
): Promise<ShownForecast[]> {
  const params = new URLSearchParams({ lane: q.lane, measure: q.measure, pageSize: '500' });
  if (q.warehouse !== undefined) params.set('warehouse', q.warehouse);
  const target = `${url.replace(/\/+$/, '')}/api/forecasts?${params}`;
  let res: Response;
  try {
    res = await fetch(target, {
      headers: { accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    });
  } catch (cause) {
    throw new RetryableError(
      'SERVER_UNREACHABLE',
      `cannot reach ${target}: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
  }
  const body: unknown = await res.json().catch(() => undefined);
  if (!res.ok) {
    const e = errorBody.safeParse(body);
    const message = e.success ? e.data.error.message : `HTTP ${res.status}`;
    if (res.status >= 500) throw new RetryableError('SERVER_FAILED', `${target}: ${message}`);
    throw new RejectError(e.success ? e.data.error.code : 'REQUEST_REFUSED', `${target}: ${message}`);
  }
  const parsed = answer.safeParse(body);
  if (!parsed.success) {
    throw new RetryableError('SERVER_ANSWER_INVALID', `${target}: not a forecast answer`, {
      cause: parsed.error,
    });
  }
  return parsed.data.data.map((f) => ({
    lane: f.lane,
    warehouse: f.warehouse,
    measure: q.measure,
    runId: f.runId,
    createdAt: f.createdAt,
    model: f.model,
    horizon: f.points.length,
    points: f.points.slice(0, q.days),
  }));
}
