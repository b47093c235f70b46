import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from '../core/mod.ts';
import { registerErrorHandler } from './errors.ts';
import type { LiveFeed } from './live.ts';
import { boardPage } from './page.ts';

export interface ServerOptions {
  readonly logger: Logger;
  readonly maxBodyBytes: number;
  readonly live?: LiveFeed;
  readonly metricsText: () => Promise<string>;
  /** Each module registers its own routes (thin adapters over its core). */
  readonly routes: readonly ((app: FastifyInstance) => void)[];
}

/** Builds the HTTP app without listening, so tests use inject() and `up` decides where to listen. */
export function buildServer(opts: ServerOptions): FastifyInstance {
  const app = Fastify({
    // Request lines would flood the log at demo rates; the http child logs warnings and errors only.
    loggerInstance: opts.logger.child({ mod: 'http' }, { level: 'warn' }) as FastifyBaseLogger,
    bodyLimit: opts.maxBodyBytes,
    forceCloseConnections: true,
    genReqId: () => `req_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`,
  });
  registerErrorHandler(app);
  app.get('/healthz', async () => ({ ok: true }));
  app.get('/metrics', async (_req, reply) =>
    reply.type('text/plain; version=0.0.4').send(await opts.metricsText()),
  );
  app.get('/', async (_req, reply) => reply.type('text/html; charset=utf-8').send(boardPage));
  app.get('/api/stream', (req, reply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    res.write(': connected\n\n');
    const unsubscribe = opts.live?.subscribe((ex) =>
      res.write(`event: exception\ndata: ${JSON.stringify(ex)}\n\n`),
    );
    const keepAlive = setInterval(() => res.write(': ping\n\n'), 15_000);
    req.raw.on('close', () => {
      clearInterval(keepAlive);
      unsubscribe?.();
    });
  });
  for (const register of opts.routes) register(app);
  return app;
}
