import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { type Metrics, RejectError } from '../core/mod.ts';
import type { EventPublisher, SubmitResult } from './publisher.ts';

const NDJSON_TYPES = ['application/x-ndjson', 'application/ndjson', 'application/jsonl'];

/**
 * `POST /api/events`: one canonical event, a JSON array of them, or NDJSON. Answers per item
 * (accepted / duplicate / rejected with field, value and expected) and the request id.
 * A rejected item is answered to the caller and never published.
 */
export function registerIngestRoutes(
  app: FastifyInstance,
  deps: { publisher: EventPublisher; metrics: Metrics },
): void {
  app.addContentTypeParser(NDJSON_TYPES, { parseAs: 'string' }, (_req, body, done) => {
    done(null, { ndjson: String(body) });
  });

  app.post('/api/events', async (req, reply) => {
    const items = bodyItems(req.body);
    const results: (SubmitResult & { index: number })[] = [];
    for (const [index, item] of items.entries()) {
      const result = item.ok ? await deps.publisher.submit(item.value) : item.result;
      deps.metrics.ingested.inc({ source: 'http', result: result.status });
      if (result.status === 'accepted' && item.ok) observeLag(deps.metrics, item.value);
      results.push({ index, ...result });
    }
    const count = (s: SubmitResult['status']) => results.filter((r) => r.status === s).length;
    const rejected = count('rejected');
    const single = !Array.isArray(req.body) && !isNdjson(req.body);
    const status =
      rejected === 0
        ? single && count('duplicate') === 0
          ? 202
          : 200
        : rejected === results.length
          ? 400
          : 207;
    const summary = {
      requestId: req.id,
      accepted: count('accepted'),
      duplicate: count('duplicate'),
      rejected,
    };
    if (single && results[0]) {
      const { index: _index, ...only } = results[0];
      return reply
        .code(status)
        .send({ ...summary, ...only, ...(only.status === 'rejected' ? { error: only.reason } : {}) });
    }
    return reply.code(status).send({ ...summary, results });
  });
}

type Item = { ok: true; value: unknown } | { ok: false; result: SubmitResult };

function isNdjson(body: unknown): body is { ndjson: string } {
  return (
    typeof body === 'object' && body !== null && typeof (body as { ndjson?: unknown }).ndjson === 'string'
  );
}

function bodyItems(body: unknown): Item[] {
  if (isNdjson(body)) {
    return body.ndjson
      .split('\n')
      .map((line, i) => ({ line: line.trim(), n: i + 1 }))
      .filter((l) => l.line.length > 0)
      .map(({ line, n }) => {
        try {
          return { ok: true as const, value: JSON.parse(line) as unknown };
        } catch (err) {
          const reason = `line ${n}: not JSON (${(err as Error).message})`;
          return {
            ok: false as const,
            result: { status: 'rejected' as const, code: 'EVENT_NOT_JSON', reason, issues: [] },
          };
        }
      });
  }
  if (Array.isArray(body)) return body.map((value: unknown) => ({ ok: true as const, value }));
  if (body === undefined || body === null) {
    throw new RejectError(
      'BODY_MISSING',
      'request body: expected a canonical event, an array of events, or NDJSON',
      [{ field: '(body)', value: body, expected: 'JSON object, array or NDJSON' }],
    );
  }
  return [{ ok: true, value: body }];
}

const occurredAt = z.object({ occurredAt: z.string() });

function observeLag(metrics: Metrics, value: unknown): void {
  const parsed = occurredAt.safeParse(value);
  if (!parsed.success) return;
  const lag = (Date.now() - Date.parse(parsed.data.occurredAt)) / 1000;
  if (Number.isFinite(lag)) metrics.ingestLag.observe({ source: 'http' }, Math.max(0, lag));
}
