import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { type DetectedException, exceptionStatuses, type Metrics, parseRequest } from '../core/mod.ts';
import { exceptionRequestSchemas } from '../exceptions/mod.ts';
import type { LiveFeed } from './live.ts';

/**
 * `GET /api/stream`: the live feed of exception states as server-sent events. Every event carries
 * `id: <exceptions-stream sequence>`; a client that reconnects with `Last-Event-ID` (the header EventSource
 * sends, or `?lastEventId=` for a new EventSource) gets the states it missed from the stream first, then live
 * ones. `event: reset` tells it that what it missed cannot be replayed (reload the list). Filters are the
 * list's (type, severity, warehouseId, lane, carrierId, customerId, customerTier, status; status defaults
 * to `all`, so a client sees an exception leave its list when it is resolved).
 */

const HEARTBEAT_MS = 15_000;
/** The browser's reconnect delay after a dropped connection. */
const RETRY_MS = 1_000;

const sequence = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** The list's filters without its age bounds; status defaults to `all`, and a resume point may be given. */
export const streamQuerySchema = exceptionRequestSchemas.exceptionFilterSchema
  .omit({ ageMin: true, ageMax: true, olderThan: true })
  .extend({
    status: z.enum([...exceptionStatuses, 'active', 'all']).default('all'),
    /** For a new EventSource resuming where an earlier one stopped (the Last-Event-ID header wins). */
    lastEventId: sequence.optional(),
  });
export type StreamQuery = z.output<typeof streamQuerySchema>;

/** Whether an exception state passes a stream's filters (pure). */
export function matchesStream(f: StreamQuery, ex: DetectedException): boolean {
  if (f.status === 'active' ? ex.status === 'resolved' : f.status !== 'all' && ex.status !== f.status)
    return false;
  if (f.type && !(f.type as readonly string[]).includes(ex.type)) return false;
  if (f.severity && !f.severity.includes(ex.severity)) return false;
  if (f.warehouseId !== undefined && ex.warehouseId !== f.warehouseId) return false;
  if (f.lane !== undefined && ex.lane !== f.lane) return false;
  if (f.carrierId !== undefined && ex.carrierId !== f.carrierId) return false;
  if (f.customerId !== undefined && ex.customerId !== f.customerId) return false;
  if (f.customerTier !== undefined && ex.customerTier !== f.customerTier) return false;
  return true;
}

const headerSchema = z.object({ 'last-event-id': sequence.optional() });

export interface StreamDeps {
  readonly live?: LiveFeed | undefined;
  /**
   * A client whose unsent bytes (the socket's writableLength) would pass this is dropped before the write:
   * a browser that stops reading cannot grow server memory. It reconnects and resumes from its last id.
   */
  readonly maxBufferedBytes: number;
  readonly metrics?: Pick<Metrics, 'liveDropped' | 'liveDropBuffered'>;
}

export function registerStreamRoutes(app: FastifyInstance, deps: StreamDeps): void {
  let maxAtDrop = 0;
  const open = new Set<ServerResponse>();
  // On shutdown each stream ends cleanly (before connections are cut): browsers reconnect without an error.
  app.addHook('preClose', (done) => {
    for (const res of open) res.end();
    open.clear();
    done();
  });

  app.get('/api/stream', (req, reply) => {
    const q = parseRequest(streamQuerySchema, req.query);
    const resumeFrom = parseRequest(headerSchema, req.headers)['last-event-id'] ?? q.lastEventId;
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    open.add(res);
    let writable = true;
    const write = (text: string) => {
      if (!writable || res.writableEnded) return;
      const buffered = res.writableLength;
      if (buffered + Buffer.byteLength(text) > deps.maxBufferedBytes) {
        writable = false;
        maxAtDrop = Math.max(maxAtDrop, buffered);
        deps.metrics?.liveDropped.inc();
        deps.metrics?.liveDropBuffered.set(maxAtDrop);
        req.log.warn(
          { writableLength: buffered, limit: deps.maxBufferedBytes },
          'live stream client too far behind: dropped (it resumes from its last event id)',
        );
        // Not end(): that would queue behind the unsent bytes; the client reconnects either way.
        res.destroy();
        return;
      }
      res.write(text);
    };
    write(`retry: ${RETRY_MS}\n: connected\n\n`);
    // The last sequence seen (also of filtered-out states) and the last one the client was given as an id.
    let seen = resumeFrom ?? 0;
    let told = seen;
    const onException = (ex: DetectedException, seq: number) => {
      seen = Math.max(seen, seq);
      if (!matchesStream(q, ex)) return;
      told = seq;
      write(`id: ${seq}\nevent: exception\ndata: ${JSON.stringify(ex)}\n\n`);
    };
    const stop =
      resumeFrom === undefined
        ? deps.live?.subscribe(onException)
        : deps.live?.resume(resumeFrom, {
            onException,
            onReset: (why) => write(`event: reset\ndata: ${JSON.stringify({ reason: why })}\n\n`),
          });
    // A heartbeat also moves the client's Last-Event-ID past states its filters left out (an id-only block).
    const keepAlive = setInterval(() => {
      const id = seen > told ? `id: ${seen}\n` : '';
      told = seen;
      write(`${id}: ping\n\n`);
    }, HEARTBEAT_MS);
    req.raw.on('close', () => {
      writable = false;
      open.delete(res);
      clearInterval(keepAlive);
      stop?.();
    });
  });
}
