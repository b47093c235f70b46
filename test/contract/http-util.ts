import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * Shared plumbing of the local contract servers (Salesforce, Jira): a node:http server on 127.0.0.1 and
 * port 0, a request log, scripted faults, and "apply then drop the connection" (a lost response).
 * Tests and the bench only.
 */

export interface LoggedRequest {
  readonly at: number;
  readonly method: string;
  /** Path and query, as received. */
  readonly url: string;
  readonly status: number;
  /** True when the server applied the request and then destroyed the socket without answering. */
  readonly dropped?: boolean;
}

export interface FaultSpec<S extends number = number, C extends string = string> {
  readonly status: S;
  readonly errorCode?: C;
  /** Fail every matching request for this long (from the call to failFor). */
  readonly durationMs?: number;
  /** Fail this many matching requests. With neither durationMs nor count: one request. */
  readonly count?: number;
  /** Sent as `Retry-After: <seconds>`. */
  readonly retryAfterSec?: number;
}

/** Scripted failures: each request takes one from the current plan until its count or time runs out. */
export class Faults<S extends number, C extends string> {
  private plan: { spec: FaultSpec<S, C>; until: number | undefined; left: number | undefined } | undefined;

  set(spec: FaultSpec<S, C>, now = Date.now()): void {
    const until = spec.durationMs !== undefined ? now + spec.durationMs : undefined;
    const left = spec.count ?? (spec.durationMs === undefined ? 1 : undefined);
    this.plan = { spec, until, left };
  }

  clear(): void {
    this.plan = undefined;
  }

  /** The fault for this request, if one is due. */
  take(now = Date.now()): FaultSpec<S, C> | undefined {
    const p = this.plan;
    if (!p) return undefined;
    if ((p.until !== undefined && now >= p.until) || p.left === 0) {
      this.plan = undefined;
      return undefined;
    }
    if (p.left !== undefined) p.left--;
    return p.spec;
  }
}

export interface RunningServer {
  readonly url: string;
  close(): Promise<void>;
}

/** Starts `handler` on 127.0.0.1:0; close() ends open keep-alive connections too. */
export async function startServer(
  handler: (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>,
): Promise<RunningServer> {
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    handler(req, res).catch((err: unknown) => {
      if (!res.headersSent) {
        res.writeHead(500, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ error: String(err) }));
      } else res.destroy();
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    // A client that dies mid-request (a test kills Dockside during a PATCH) resets the socket: not an error here.
    s.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

export function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export function sendJson(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    ...(text ? { 'Content-Type': 'application/json;charset=UTF-8' } : {}),
    ...headers,
  });
  res.end(text);
}

/** Parses a JSON request body, keeping the parser's message for the error answer. */
export function parseJson(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}

export const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** A counter of "drop the response after applying" for the next n matching requests. */
export class Drops {
  private left = 0;
  set(n: number): void {
    this.left = n;
  }
  take(): boolean {
    if (this.left <= 0) return false;
    this.left--;
    return true;
  }
}
