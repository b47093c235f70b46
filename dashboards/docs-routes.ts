import { readFileSync } from 'node:fs';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { openApiDocument, plannerApiDocument } from './openapi.ts';

/** Where the docs live: `/docs` (Swagger UI), `/docs/json` and `/docs/yaml` (the OpenAPI document). */
export const DOCS_PREFIX = '/docs';

/**
 * The docs page may load and call this server only: its assets come from the swagger-ui package, nothing
 * from a CDN, no validator badge. Set on the docs routes only (the web app has its own pages).
 */
const DOCS_CSP = [
  "default-src 'self'",
  "base-uri 'self'",
  "connect-src 'self'",
  "font-src 'self' data:",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "img-src 'self' data:",
  "object-src 'none'",
  "script-src 'self'",
  "script-src-attr 'none'",
  // Swagger UI renders some inline styles; scripts stay 'self' only.
  "style-src 'self' 'unsafe-inline'",
].join('; ');

/**
 * Swagger UI's light theme misses WCAG AA contrast in places, and its top bar carries a spec-URL box without
 * a label and a logo without alt text: the bar keeps only its dark-mode switch, and the colours are darkened
 * in light mode (dark mode passes as it is).
 */
const DOCS_THEME_CSS = `
.swagger-ui .topbar .download-url-wrapper, .swagger-ui .topbar .topbar-wrapper > a.link { display: none; }
.swagger-ui .topbar { padding: 4px 0; }
html:not(.dark-mode) .swagger-ui .opblock .opblock-summary-method { color: #000; text-shadow: none; }
html:not(.dark-mode) .swagger-ui .info .title small { background: #5b6270; }
html:not(.dark-mode) .swagger-ui .info .title small.version-stamp { background: #3f6b00; }
html:not(.dark-mode) .swagger-ui .info a, html:not(.dark-mode) .swagger-ui .info .url { color: #1d5fa8; }
html:not(.dark-mode) .swagger-ui .btn.authorize { color: #1c6b47; border-color: #1c6b47; }
html:not(.dark-mode) .swagger-ui .btn.authorize svg { fill: #1c6b47; }
html:not(.dark-mode) .swagger-ui .json-schema-2020-12-expand-deep-button { color: #505050; }
html:not(.dark-mode) .swagger-ui .parameter__in { color: #555; }
html:not(.dark-mode) .swagger-ui .btn.try-out__btn { color: #a3262a; border-color: #a3262a; }
html:not(.dark-mode) .swagger-ui .btn.execute { background-color: #1d5fa8; border-color: #1d5fa8; }
html.dark-mode .swagger-ui .opblock .opblock-section-header .try-out__btn.cancel { color: #ff8a8a; border-color: #ff8a8a; }
html.dark-mode .swagger-ui table .header-col { color: #c8ccd4; }
`;

/**
 * Accessible names Swagger UI's markup leaves out (swagger-api/swagger-ui#7350, #10697), set as it renders:
 * the request body editor, the dialog's close button, and the authorize buttons whose aria-label hides
 * their visible text.
 */
const DOCS_THEME_JS = `(() => {
  const fix = () => {
    for (const t of document.querySelectorAll('textarea:not([aria-label])')) {
      if (!t.labels || t.labels.length === 0) {
        t.setAttribute('aria-label', t.classList.contains('body-param__text') ? 'Request body' : 'Value');
      }
    }
    for (const b of document.querySelectorAll('.close-modal:not([aria-label])')) b.setAttribute('aria-label', 'Close');
    for (const b of document.querySelectorAll('.auth-btn-wrapper button[aria-label]')) b.removeAttribute('aria-label');
  };
  new MutationObserver(fix).observe(document.body, { childList: true, subtree: true });
  fix();
})();
`;

const packageJson = z.object({ version: z.string() });

function apiVersion(): string {
  return packageJson.parse(JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')))
    .version;
}

/**
 * Serves the OpenAPI document of the whole API (built once from the access table and the route schemas)
 * and Swagger UI from the installed package. Public: the document shows the API's shape only, which the
 * open-source code shows anyway; every call made from the page still passes the access hook.
 */
export function registerDocsRoutes(app: FastifyInstance): void {
  const version = apiVersion();
  const document = openApiDocument({ version });
  // The planner API's slice for planners' tools: needs `forecasts:read` like the routes it describes.
  const planner = plannerApiDocument({ version });
  app.get('/api/forecasts/openapi.json', async () => planner);
  // @fastify/swagger types its document with openapi-types; ours is the same JSON, typed loosely.
  app.register(swagger, { mode: 'static', specification: { document: document as never } });
  app.register(swaggerUi, {
    routePrefix: DOCS_PREFIX,
    staticCSP: DOCS_CSP,
    theme: {
      title: 'Dockside · API docs',
      css: [{ filename: 'dockside.css', content: DOCS_THEME_CSS }],
      js: [{ filename: 'dockside.js', content: DOCS_THEME_JS }],
    },
    // No deep links: they put a link inside each operation's toggle button (axe: nested-interactive).
    // Monokai: the default highlight theme's numbers miss AA contrast.
    uiConfig: {
      deepLinking: false,
      docExpansion: 'list',
      tryItOutEnabled: false,
      syntaxHighlight: { activate: true, theme: 'monokai' },
    },
    validatorUrl: false,
  });
}
