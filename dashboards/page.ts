/**
 * The live exception board for dispatch leads: open exceptions by warehouse, lane and tier, updated
 * over SSE as the detector publishes; assign and resolve in place. Plain HTML + JS, no build step.
 */
export const boardPage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Dockside · Exception board</title>
<style>
  :root { --bg:#0f1720; --panel:#17212b; --ink:#e6edf3; --muted:#8b98a5; --high:#f85149; --medium:#d29922; --low:#58a6ff; --critical:#ff7b72; --ok:#3fb950; }
  * { box-sizing: border-box; }
  body { margin:0; font:14px/1.4 system-ui, sans-serif; background:var(--bg); color:var(--ink); }
  header { display:flex; align-items:center; gap:16px; padding:12px 20px; background:var(--panel); border-bottom:1px solid #26323e; }
  h1 { font-size:18px; margin:0; }
  #live { font-size:12px; color:var(--muted); }
  #live.on::before { content:'● '; color:var(--ok); }
  main { padding:16px 20px; }
  .counts { display:flex; flex-wrap:wrap; gap:8px; margin-bottom:12px; }
  .count { background:var(--panel); border-radius:6px; padding:6px 10px; }
  .count b { font-size:16px; margin-left:6px; }
  .filters { display:flex; gap:8px; margin-bottom:12px; }
  select, input, button { background:var(--panel); color:var(--ink); border:1px solid #30404f; border-radius:4px; padding:4px 8px; }
  button { cursor:pointer; }
  table { width:100%; border-collapse:collapse; }
  th, td { text-align:left; padding:6px 8px; border-bottom:1px solid #26323e; white-space:nowrap; }
  th { color:var(--muted); font-weight:600; position:sticky; top:0; background:var(--bg); }
  tr.fresh { animation: flash 1.5s ease-out; }
  @keyframes flash { from { background:#2d3b1f; } to { background:transparent; } }
  .sev { font-weight:600; text-transform:uppercase; font-size:11px; }
  .sev-high { color:var(--high); } .sev-critical { color:var(--critical); } .sev-medium { color:var(--medium); } .sev-low { color:var(--low); }
  .empty { color:var(--muted); padding:24px; text-align:center; }
  .alerts { display:flex; flex-wrap:wrap; gap:8px; margin-bottom:12px; }
  .alert { background:#2a2312; border:1px solid #5a4a1c; border-radius:6px; padding:6px 10px; font-size:13px; }
</style>
</head>
<body>
<header>
  <h1>Dockside · Exception board</h1>
  <span id="live">connecting…</span>
  <span id="total" style="margin-left:auto"></span>
</header>
<main>
  <div class="alerts" id="alerts"></div>
  <div class="counts" id="counts"></div>
  <div class="filters">
    <select id="f-warehouse"><option value="">all warehouses</option></select>
    <select id="f-lane"><option value="">all lanes</option></select>
    <select id="f-tier"><option value="">all tiers</option><option>tier1</option><option>tier2</option><option>tier3</option></select>
    <select id="f-type"><option value="">all types</option></select>
  </div>
  <table>
    <thead><tr><th>Type</th><th>Severity</th><th>Shipment</th><th>Warehouse</th><th>Lane</th><th>Tier</th><th>Customer</th><th>Broke at</th><th>Conf.</th><th>Status</th><th></th></tr></thead>
    <tbody id="exceptions"></tbody>
  </table>
  <div class="empty" id="empty">No open exceptions.</div>
</main>
<script>
const rows = new Map();
const $ = (id) => document.getElementById(id);
const filters = ['warehouse', 'lane', 'tier', 'type'];
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&':'&amp;', '<':'&lt;', '>':'&gt;', '"':'&quot;', "'":'&#39;' }[c]));

// Not signed in, or the session expired: the API answers 401 and the board sends the browser to sign in.
function signIn() { location.href = '/signin?next=/'; }
async function api(url, init) {
  const res = await fetch(url, init);
  if (res.status === 401) { signIn(); throw new Error('signed out'); }
  return res;
}

function upsert(ex, fresh) {
  if (ex.status === 'resolved') rows.delete(ex.id);
  else {
    const prev = rows.get(ex.id);
    if (!prev || prev.version <= ex.version) rows.set(ex.id, { ...ex, fresh });
  }
}
function option(sel, value) {
  if (value && ![...sel.options].some((o) => o.value === value)) sel.add(new Option(value, value));
}
function render() {
  const want = Object.fromEntries(filters.map((f) => [f, $('f-' + f).value]));
  const all = [...rows.values()].sort((a, b) => b.occurredAt.localeCompare(a.occurredAt));
  const counts = {};
  for (const ex of all) {
    counts[ex.type] = (counts[ex.type] || 0) + 1;
    option($('f-warehouse'), ex.warehouseId); option($('f-lane'), ex.lane); option($('f-type'), ex.type);
  }
  $('counts').innerHTML = Object.entries(counts).sort().map(([t, n]) => '<span class="count" data-count-type="' + esc(t) + '">' + esc(t) + '<b>' + n + '</b></span>').join('');
  const shown = all.filter((ex) => (!want.warehouse || ex.warehouseId === want.warehouse) && (!want.lane || ex.lane === want.lane)
    && (!want.tier || ex.customerTier === want.tier) && (!want.type || ex.type === want.type)).slice(0, 500);
  $('exceptions').innerHTML = shown.map((ex) => '<tr data-id="' + esc(ex.id) + '" data-type="' + esc(ex.type) + '"' + (ex.fresh ? ' class="fresh"' : '') + '>'
    + '<td>' + esc(ex.type) + '</td><td class="sev sev-' + esc(ex.severity) + '">' + esc(ex.severity) + '</td>'
    + '<td>' + esc(ex.shipmentId) + '</td><td>' + esc(ex.warehouseId) + '</td><td>' + esc(ex.lane) + '</td><td>' + esc(ex.customerTier) + '</td>'
    + '<td>' + esc(ex.customerId) + '</td><td>' + esc(new Date(ex.occurredAt).toLocaleString()) + '</td><td>' + Number(ex.confidence).toFixed(2) + '</td>'
    + '<td>' + esc(ex.status) + (ex.assignedTo ? ' · ' + esc(ex.assignedTo) : '') + '</td>'
    + '<td><button data-act="assign">Assign</button> <button data-act="resolve">Resolve</button></td></tr>').join('');
  for (const ex of shown) ex.fresh = false;
  $('empty').style.display = shown.length ? 'none' : 'block';
  $('total').textContent = all.length + ' open';
}
async function act(id, action) {
  const body = action === 'assign' ? { assignee: prompt('Assign to:') || '' } : { resolution: prompt('Resolution:') || '' };
  const res = await api('/api/exceptions/' + encodeURIComponent(id) + '/' + action, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) alert((await res.json()).error?.message || res.statusText);
}
$('exceptions').addEventListener('click', (e) => {
  const btn = e.target.closest('button'); const tr = e.target.closest('tr');
  if (btn && tr) act(tr.dataset.id, btn.dataset.act);
});
for (const f of filters) $('f-' + f).addEventListener('change', render);
let pending = false;
function schedule() { if (!pending) { pending = true; requestAnimationFrame(() => { pending = false; render(); }); } }
function connect() {
  const es = new EventSource('/api/stream');
  es.onopen = async () => {
    $('live').className = 'on'; $('live').textContent = 'live';
    const res = await api('/api/exceptions?status=active&limit=5000');
    for (const ex of (await res.json()).items) upsert(ex, false);
    schedule();
  };
  es.addEventListener('exception', (m) => { upsert(JSON.parse(m.data), true); schedule(); });
  es.onerror = () => {
    $('live').className = ''; $('live').textContent = 'reconnecting…';
    // EventSource does not expose the status: ask whether the session is still good.
    api('/api/me').catch(() => undefined);
  };
}
connect();
// Forecast-delta alerts (labour and tender pre-staging): lanes whose next-7-day forecast moved.
async function loadAlerts() {
  try {
    const res = await api('/api/forecasts/alerts?pageSize=6');
    if (!res.ok) return;
    const alerts = (await res.json()).data;
    $('alerts').innerHTML = alerts.map((a) => '<span class="alert" data-alert-lane="' + esc(a.lane) + '">Forecast ' + esc(a.direction)
      + ' ' + Math.round(Math.abs(a.change) * 100) + '% on ' + esc(a.lane) + ': ' + Math.round(a.previousVolume) + ' → '
      + Math.round(a.newVolume) + ' next 7 days</span>').join('');
  } catch { /* the board works without alerts */ }
}
loadAlerts();
setInterval(loadAlerts, 60000);
</script>
</body>
</html>`;
