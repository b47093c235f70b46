import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { FastifyInstance } from 'fastify';

/**
 * The web app: TypeScript + Preact sources under dashboards/ui, bundled by esbuild when the server starts
 * (in memory, ~0.2 s; nothing to build at install, no CDN at run time). One page shell serves every screen.
 */
const here = path.dirname(fileURLToPath(import.meta.url));

export interface UiBundle {
  readonly js: string;
  readonly css: string;
}

let cached: Promise<UiBundle> | undefined;

export function uiBundle(): Promise<UiBundle> {
  cached ??= build({
    entryPoints: [path.join(here, 'ui/main.tsx')],
    bundle: true,
    format: 'esm',
    target: 'es2022',
    minify: true,
    sourcemap: false,
    write: false,
    outdir: '/ui',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    loader: { '.css': 'css' },
    logLevel: 'silent',
    legalComments: 'none',
  }).then((r) => {
    const text = (ext: string) => r.outputFiles.find((f) => f.path.endsWith(ext))?.text ?? '';
    return { js: text('.js'), css: text('.css') };
  });
  return cached;
}

/** The page routes of the app (all serve the same shell; the app reads the path). */
export const appPaths = [
  '/',
  '/board',
  '/exceptions/:id',
  '/approvals',
  '/approvals/:id',
  '/writebacks/:id',
  '/forecasts',
  '/ops',
] as const;

const shell = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>Dockside</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/ui/app.css">
</head>
<body>
<div id="app"><p class="boot">Loading Dockside…</p></div>
<script type="module" src="/ui/app.js"></script>
</body>
</html>`;

export function registerUiRoutes(app: FastifyInstance): void {
  for (const p of appPaths) {
    app.get(p, async (_req, reply) =>
      reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(shell),
    );
  }
  app.get('/ui/app.js', async (_req, reply) =>
    reply
      .type('text/javascript; charset=utf-8')
      .header('cache-control', 'no-cache')
      .send((await uiBundle()).js),
  );
  app.get('/ui/app.css', async (_req, reply) =>
    reply
      .type('text/css; charset=utf-8')
      .header('cache-control', 'no-cache')
      .send((await uiBundle()).css),
  );
}
