// The dashboard at /ui: static ES modules from the package's ui/ folder (Preact + htm, no build step; see
// docs/dashboard.md) and the three library modules they import, served from node_modules under /ui/lib/.
// The page holds no data: it reads the admin API and Google's REST APIs on this origin, which check the
// browser's caller as they check any other. Nothing is fetched from anywhere else (the CSP says so too).

import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packagePath } from '../lib/package-root.js';
import type { Platform } from '../platform.js';
import type { ApiRequest, ApiResponse, Router } from '../apis/router.js';
import { lazyModule } from '../lib/lazy-module.js';
import { notFound } from '../apis/errors.js';

/** The package's ui/ folder. */
export function uiDir(): string {
  return packagePath('ui') + sep;
}

/** The import map's names → the files the browser gets them from (browser ES module builds). */
const LIBRARIES: Record<string, string> = {
  'preact.mjs': 'preact',
  'preact-hooks.mjs': 'preact/hooks',
  'htm.mjs': 'htm',
};

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

function asset(file: string): Asset;
function asset(text: string, ext: string): Asset;
function asset(fileOrText: string, ext?: string): Asset {
  const body = ext === undefined ? readFileSync(fileOrText) : Buffer.from(fileOrText);
  return { body, type: TYPES[ext ?? extname(fileOrText)] ?? 'application/octet-stream', etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` };
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

/** The page's Content-Security-Policy: this origin only; the one inline script (the import map) by its hash. */
function contentSecurityPolicy(indexHtml: string): string {
  const importMap = /<script type="importmap">([\s\S]*?)<\/script>/.exec(indexHtml)?.[1] ?? '';
  const hash = createHash('sha256').update(importMap).digest('base64');
  return [
    "default-src 'none'",
    `script-src 'self' 'sha256-${hash}'`,
    "style-src 'self'",
    "connect-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

interface DashboardFiles {
  index: Asset;
  assets: Map<string, Asset>;
  headers: Record<string, string>;
}

/** The files, read and hashed once: after "authplane ready" or at the first /ui request (lib/lazy-module.ts). */
function readDashboardFiles(): DashboardFiles {
  const dir = uiDir();
  const assets = new Map<string, Asset>();
  for (const f of walk(dir)) if (TYPES[extname(f)]) assets.set(relative(dir, f).split(sep).join('/'), asset(f));
  for (const [name, specifier] of Object.entries(LIBRARIES)) assets.set(`lib/${name}`, asset(fileURLToPath(import.meta.resolve(specifier))));
  const page = assets.get('index.html');
  if (!page) throw missingFiles(dir);
  // Every module at once instead of import by import (three round trips deep): the page shows in one.
  const preload = [...assets.keys()].filter((k) => /\.m?js$/.test(k)).map((k) => `<link rel="modulepreload" href="/ui/${k}">`).join('\n');
  const index = asset(page.body.toString('utf8').replace(/<!-- modulepreload:[^>]*-->/, preload), '.html');
  const headers = {
    'cache-control': 'no-cache',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
    'content-security-policy': contentSecurityPolicy(index.body.toString('utf8')),
  };
  return { index, assets, headers };
}

const dashboardFiles = lazyModule(async () => readDashboardFiles());

function missingFiles(dir: string): Error {
  return new Error(`authplane: the dashboard's files are missing (${join(dir, 'index.html')}): reinstall authplane`);
}

export function dashboardRoutes(router: Router, _platform: Platform): void {
  // An install without its ui/ folder fails the start, as it did when the files were read here.
  if (!existsSync(join(uiDir(), 'index.html'))) throw missingFiles(uiDir());
  const serve = async (pick: (files: DashboardFiles) => Asset | undefined, req: ApiRequest): Promise<ApiResponse> => {
    const files = await dashboardFiles.load();
    const a = pick(files);
    if (!a) throw notFound(`The requested URL ${req.path} was not found on this server.`, req.path);
    const { headers } = files;
    return req.headers['if-none-match'] === a.etag ? { status: 304, headers: { ...headers, etag: a.etag } } : { headers: { ...headers, 'content-type': a.type, etag: a.etag }, body: a.body };
  };

  const ui = router.for('authplane.ui');
  // Static files of the package: their data comes from the admin API, which checks the browser's caller.
  const access = { public: 'the dashboard\'s static files; its data comes from the admin API', quiet: true } as const;
  ui.get('/ui', access, (req) => serve((f) => f.index, req));
  ui.get('/ui/', access, (req) => serve((f) => f.index, req));
  ui.get('/ui/{file=**}', access, (req) => serve((f) => f.assets.get(req.params.file!), req));
}
