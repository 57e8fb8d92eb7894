// The dashboard at /ui: one self-contained page over the admin API (state, recent front-door
// requests with their refusal codes and explanations). No build step, no external assets.

import type { Platform } from '../platform.js';
import type { Router } from '../apis/router.js';

const PAGE = /* html */ `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>authplane</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #202124; background: #f8f9fa; }
  header { background: #1a73e8; color: #fff; padding: 12px 24px; display: flex; gap: 24px; align-items: baseline; }
  header h1 { margin: 0; font-size: 20px; }
  main { padding: 16px 24px; display: grid; gap: 16px; }
  section { background: #fff; border: 1px solid #dadce0; border-radius: 8px; padding: 12px 16px; overflow-x: auto; }
  h2 { font-size: 16px; margin: 0 0 8px; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #eee; vertical-align: top; }
  th { color: #5f6368; font-weight: 500; }
  code { font-size: 12px; }
  .ok { color: #188038; } .bad { color: #d93025; font-weight: 600; }
  .muted { color: #5f6368; }
  details summary { cursor: pointer; }
  pre { white-space: pre-wrap; font-size: 12px; margin: 4px 0; }
</style>
</head>
<body>
<header><h1>authplane</h1><span id="project" class="muted"></span><span id="updated" class="muted"></span></header>
<main>
  <section><h2>Recent requests</h2><table id="requests"><thead><tr><th>time</th><th>service</th><th>request</th><th>status</th><th>code</th><th>explanation and fix</th></tr></thead><tbody></tbody></table></section>
  <section><h2>Services</h2><table id="services"><thead><tr><th>name</th><th>URLs (accepted audiences)</th><th>ingress</th><th>auth</th><th>runs as</th></tr></thead><tbody></tbody></table></section>
  <section><h2>Identities</h2><table id="identities"><thead><tr><th>service account</th><th>unique id</th><th>metadata server</th></tr></thead><tbody></tbody></table></section>
</main>
<script>
const esc = (s) => String(s ?? '').replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
const rows = (id, html) => { document.querySelector('#' + id + ' tbody').innerHTML = html || '<tr><td colspan="6" class="muted">none yet</td></tr>'; };
async function get(path) { const r = await fetch(path); if (!r.ok) throw new Error(path + ': ' + r.status); return r.json(); }
async function refresh() {
  try {
    const state = await get('/admin/v1/state');
    document.getElementById('project').textContent = state.project.id + ' (' + state.project.number + ') · ' + state.project.region;
    const md = Object.fromEntries(state.metadataServers.map((m) => [m.serviceAccount, m]));
    rows('services', state.services.map((s) => '<tr><td>' + esc(s.name) + '</td><td>' + s.audiences.map((a) => '<code>' + esc(a) + '</code>').join('<br>') +
      '</td><td>' + esc(s.ingress) + '</td><td>' + (s.iap ? 'IAP, ' : '') + (s.invokerIamCheck ? 'invoker check' : 'public') + '</td><td>' + esc(s.serviceAccount) + '</td></tr>').join(''));
    rows('identities', state.serviceAccounts.map((a) => '<tr><td>' + esc(a.email) + '</td><td><code>' + esc(a.uniqueId) + '</code></td><td>' +
      (md[a.email] ? esc(md[a.email].name) + ' <code>GCE_METADATA_HOST=' + esc(md[a.email].hostPort) + '</code>' : '') + '</td></tr>').join(''));
  } catch (e) { document.getElementById('project').textContent = String(e); }
  try {
    const { requests } = await get('/admin/v1/requests?limit=50');
    rows('requests', requests.map((r) => '<tr><td>' + esc(r.time.slice(11, 23)) + '</td><td>' + esc(r.service) + '</td><td><code>' + esc(r.method + ' ' + r.path) + '</code></td><td class="' +
      (r.status < 400 ? 'ok' : 'bad') + '">' + r.status + '</td><td>' + (r.code ? '<span class="bad">' + esc(r.code) + '</span>' : '') + '</td><td>' +
      (r.code ? '<details><summary>' + esc(r.explanation) + '</summary><p><b>Fix:</b> ' + esc(r.remedy) + '</p><pre>' + esc(JSON.stringify(r.evidence, null, 2)) + '</pre></details>' : '') + '</td></tr>').join(''));
  } catch { rows('requests', '<tr><td colspan="6" class="muted">request log not available</td></tr>'); }
  document.getElementById('updated').textContent = 'updated ' + new Date().toLocaleTimeString();
}
refresh();
setInterval(refresh, 2000);
</script>
</body>
</html>`;

export function dashboardRoutes(router: Router, _platform: Platform): void {
  const page = () => ({ headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }, body: PAGE });
  const ui = router.for('authplane.ui');
  // The page holds no data: it reads the admin API, which checks the browser's caller.
  const access = { public: 'a static page; its data comes from the admin API', quiet: true } as const;
  ui.get('/ui', access, page);
  ui.get('/ui/', access, page);
}
