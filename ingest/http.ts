import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import {
  DEFAULT_MAX_JSON_DEPTH,
  echoIssues,
  echoValue,
  type Logger,
  type Metrics,
  parseJsonGuarded,
  RejectError,
} from '../core/mod.ts';
import { PublishWindow } from './publish-window.ts';
import type { EventPublisher, SubmitResult } from './publisher.ts';

const NDJSON_TYPES = ['application/x-ndjson', 'application/ndjson', 'application/jsonl'];

/** Seconds a client told 429 should wait: acks come back within milliseconds when JetStream is healthy. */
const BUSY_RETRY_S = 1;

/**
 * `POST /api/events`: one canonical event, a JSON array of them, or NDJSON. Answers per item
 * (accepted / duplicate / rejected with field, value and expected) and the request id.
 * A rejected item is answered to the caller and never published. Items are published through one window
 * shared by all requests (`window` events awaiting acks); a request arriving when it is full is shed with
 * 429 + Retry-After instead of queueing without bound.
 */
export function registerIngestRoutes(
  app: FastifyInstance,
  deps: { publisher: EventPublisher; metrics: Metrics; logger?: Logger; window?: number },
): void {
  const log = deps.logger?.child({ mod: 'ingest-http' });
  const size = deps.window ?? 4_096;
  const window = new PublishWindow(size);
  app.addContentTypeParser(NDJSON_TYPES, { parseAs: 'string' }, (_req, body, done) => {
    done(null, { ndjson: String(body) });
  });

  app.post('/api/events', async (req, reply) => {
    if (window.full) {
      deps.metrics.httpShed.inc({ reason: 'ingest_window' });
      reply.header('retry-after', String(BUSY_RETRY_S));
      throw new RejectError(
        'INGEST_BUSY',
        `ingest is at capacity: ${size} events await JetStream acks (DOCKSIDE_INGEST_WINDOW); retry in ${BUSY_RETRY_S} s`,
        [],
        { httpStatus: 429 },
      );
    }
    const items = bodyItems(req.body);
    const pending: Promise<SubmitResult>[] = [];
    for (const item of items) {
      if (!item.ok) {
        pending.push(Promise.resolve(item.result));
        continue;
      }
      while (window.full) await window.room();
      const p = deps.publisher.submit(item.value).catch(tooLargeAsRejected);
      window.track(p);
      pending.push(p);
    }
    const results = (await Promise.all(pending)).map((result, index) => {
      deps.metrics.ingested.inc({ source: 'http', result: result.status });
      const item = items[index];
      if (result.status === 'accepted' && item?.ok) observeLag(deps.metrics, item.value);
      return { index, ...echoed(result) };
    });
    const count = (s: SubmitResult['status']) => results.filter((r) => r.status === s).length;
    const rejected = count('rejected');
    if (rejected && log) logRejected(log, req.id, rejected, results, items);
    const single = !Array.isArray(req.body) && !isNdjson(req.body);
    const tooLarge = results.filter((r) => r.status === 'rejected' && r.code === 'PAYLOAD_TOO_LARGE').length;
    const status =
      rejected === 0
        ? single && count('duplicate') === 0
          ? 202
          : 200
        : rejected === results.length
          ? tooLarge === rejected
            ? 413
            : 400
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
          return { ok: true as const, value: parseJsonGuarded(line, DEFAULT_MAX_JSON_DEPTH, `line ${n}`) };
        } catch (err) {
          if (!(err instanceof RejectError)) throw err;
          return { ok: false as const, result: rejectedBy(err) };
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

function rejectedBy(err: RejectError): SubmitResult {
  return { status: 'rejected', code: err.code, reason: err.message, issues: err.issues };
}

/** An event over NATS max_payload (or the stream's size limit) is the sender's to fix: rejected, not retried. */
function tooLargeAsRejected(err: unknown): SubmitResult {
  if (err instanceof RejectError) return rejectedBy(err);
  throw err;
}

/** A rejection echoes the sender's values cut short (a 10 MB field must not come back as a 10 MB answer). */
function echoed(r: SubmitResult): SubmitResult {
  if (r.status !== 'rejected') return r;
  const id = r.id === undefined ? {} : { id: String(echoValue(r.id)) };
  return { ...r, ...id, reason: String(echoValue(r.reason, 2_000)), issues: echoIssues(r.issues) };
}

/** Larger rejected items are not logged: a cut JSON text could not be redacted by key. */
const MAX_LOGGED_ITEM = 4_096;

/** What a feed sent that was refused, for whoever runs it: the count and the first item (redacted by the logger). */
function logRejected(
  log: Logger,
  requestId: string,
  rejected: number,
  results: readonly (SubmitResult & { index: number })[],
  items: readonly Item[],
): void {
  const first = results.find((r) => r.status === 'rejected');
  const item = first ? items[first.index] : undefined;
  const value = item?.ok ? item.value : undefined;
  let size = 0;
  try {
    size = JSON.stringify(value ?? null).length;
  } catch {
    size = Number.POSITIVE_INFINITY;
  }
  const sample = size <= MAX_LOGGED_ITEM ? value : `[${size} chars: not logged]`;
  log.info(
    {
      requestId,
      rejected,
      first: first?.status === 'rejected' ? { code: first.code, item: sample } : undefined,
    },
    'POST /api/events rejected input',
  );
}
