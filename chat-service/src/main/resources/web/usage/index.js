// Parley usage page: reads chat-service's /v1/usage relay (admins: everyone, users: their own calls)
// and draws the charts with ECharts.
import * as echarts from 'echarts';
import './usage.css';

const RANGES = { '1h': 3600e3, '24h': 86400e3, '7d': 7 * 86400e3, '30d': 30 * 86400e3 };
const charts = {};
let scope = { admin: false, user: '' };

const $ = (id) => document.getElementById(id);

async function getJson(url) {
  const res = await fetch(url, { headers: { 'X-Requested-With': 'JavaScript', Accept: 'application/json' } });
  if (res.status === 401 || res.status === 499) {
    throw new Error('Your session has expired: reload the page to log in again.');
  }
  const body = await res.json().catch(() => ({}));
  if (!res.ok) {
    throw new Error((body.error && body.error.message) || `request failed (${res.status})`);
  }
  return body;
}

function filters() {
  const q = new URLSearchParams();
  const range = $('f-range').value;
  if (range === 'custom') {
    if ($('f-from').value) q.set('from', new Date($('f-from').value).toISOString());
    if ($('f-to').value) q.set('to', new Date($('f-to').value).toISOString());
  } else {
    q.set('from', new Date(Date.now() - RANGES[range]).toISOString());
  }
  for (const name of ['model', 'status', 'source']) {
    const v = $('f-' + name).value.trim();
    if (v) q.set(name, v);
  }
  if (scope.admin && $('f-user').value.trim()) q.set('user', $('f-user').value.trim());
  return q;
}

function withParams(q, extra) {
  const p = new URLSearchParams(q);
  for (const [k, v] of Object.entries(extra)) p.set(k, v);
  return p.toString();
}

const fmt = (n) => (n == null ? '–' : Number(n).toLocaleString());
const ms = (n) => (n == null ? '–' : Math.round(n).toLocaleString());
const pct = (r) => (r == null ? '' : ` (${(r * 100).toFixed(1)}%)`);

function chart(id) {
  if (!charts[id]) {
    charts[id] = echarts.init($(id));
    charts[id].on('finished', () => $(id).setAttribute('data-rendered', 'true'));
  }
  return charts[id];
}

function renderTotals(t) {
  $('t-calls').textContent = fmt(t.calls);
  $('t-prompt').textContent = fmt(t.prompt_tokens);
  $('t-completion').textContent = fmt(t.completion_tokens);
  $('t-errors').textContent = fmt(t.errors) + pct(t.error_rate);
  $('t-cancelled').textContent = fmt(t.cancelled) + pct(t.cancel_rate);
  $('t-ttft').textContent = `${ms(t.ttft_ms_p50)} / ${ms(t.ttft_ms_p95)} ms`;
  $('t-latency').textContent = `${ms(t.latency_ms_p50)} / ${ms(t.latency_ms_p95)} ms`;
  $('t-tps').textContent = t.tokens_per_sec_mean == null ? '–' : t.tokens_per_sec_mean.toFixed(1);
}

// the categories a chart shows, as a data attribute: what tests and assistive tools can read without the canvas
function describe(id, keys) {
  $(id).dataset.categories = keys.join(',');
}

function renderTimeline(groups) {
  const rows = [...groups].sort((a, b) => a.key.localeCompare(b.key));
  describe('chart-timeline', rows.map((r) => r.key));
  chart('chart-timeline').setOption({
    tooltip: { trigger: 'axis', renderMode: 'richText' }, // drawn on the canvas: the CSP allows no inline styles
    legend: { data: ['prompt tokens', 'completion tokens', 'calls'] },
    grid: { left: 60, right: 50, bottom: 40 },
    xAxis: { type: 'category', data: rows.map((r) => r.key) },
    yAxis: [{ type: 'value', name: 'tokens' }, { type: 'value', name: 'calls', minInterval: 1 }],
    series: [
      { name: 'prompt tokens', type: 'bar', stack: 'tokens', data: rows.map((r) => r.prompt_tokens) },
      { name: 'completion tokens', type: 'bar', stack: 'tokens', data: rows.map((r) => r.completion_tokens) },
      { name: 'calls', type: 'line', yAxisIndex: 1, data: rows.map((r) => r.calls) },
    ],
  }, true);
}

function renderPercentiles(id, groups, field) {
  describe(id, groups.map((g) => g.key));
  chart(id).setOption({
    tooltip: { trigger: 'axis', renderMode: 'richText' }, // drawn on the canvas: the CSP allows no inline styles
    legend: { data: ['p50', 'p95'] },
    grid: { left: 60, right: 20, bottom: 40 },
    xAxis: { type: 'category', data: groups.map((g) => g.key) },
    yAxis: { type: 'value', name: 'ms' },
    series: [
      { name: 'p50', type: 'bar', data: groups.map((g) => g[field + '_p50']) },
      { name: 'p95', type: 'bar', data: groups.map((g) => g[field + '_p95']) },
    ],
  }, true);
}

function renderUsers(groups) {
  describe('chart-users', groups.map((g) => g.key));
  chart('chart-users').setOption({
    tooltip: { trigger: 'axis', renderMode: 'richText' }, // drawn on the canvas: the CSP allows no inline styles
    grid: { left: 80, right: 20, bottom: 40 },
    xAxis: { type: 'value', minInterval: 1 },
    yAxis: { type: 'category', data: groups.map((g) => g.key) },
    series: [{ name: 'calls', type: 'bar', data: groups.map((g) => g.calls) }],
  }, true);
}

function cell(text, cls) {
  const td = document.createElement('td');
  td.textContent = text == null ? '' : String(text);
  if (cls) td.className = cls;
  return td;
}

function fillTable(id, records, columns) {
  const body = document.querySelector(`#${id} tbody`);
  body.replaceChildren();
  if (records.length === 0) {
    const tr = document.createElement('tr');
    const td = cell('none', 'empty');
    td.colSpan = columns.length;
    tr.append(td);
    body.append(tr);
    return;
  }
  for (const r of records) {
    const tr = document.createElement('tr');
    tr.dataset.requestId = r.request_id;
    for (const c of columns) tr.append(cell(c(r)));
    body.append(tr);
  }
}

const when = (r) => new Date(r.timestamp).toLocaleString();

async function load() {
  const q = filters();
  const span = $('f-range').value;
  const groupBy = span === '1h' || span === '24h' ? 'hour' : 'day';
  $('csv-records').href = '/v1/usage/records?' + withParams(q, { format: 'csv' });
  $('csv-summary').href = '/v1/usage/summary?' + withParams(q, { format: 'csv', group_by: 'model' });
  const failedFilter = new URLSearchParams(q);
  const failedWanted = !q.has('status') || q.get('status') === 'error';
  failedFilter.set('status', 'error');
  try {
    const [byModel, byTime, records, failed, byUser] = await Promise.all([
      getJson('/v1/usage/summary?' + withParams(q, { group_by: 'model' })),
      getJson('/v1/usage/summary?' + withParams(q, { group_by: groupBy })),
      getJson('/v1/usage/records?' + withParams(q, { limit: '1000' })),
      failedWanted ? getJson('/v1/usage/records?' + withParams(failedFilter, { limit: '20' })) : { data: [] },
      scope.admin ? getJson('/v1/usage/summary?' + withParams(q, { group_by: 'user' })) : null,
    ]);
    $('message').hidden = true;
    renderTotals(byModel.totals || {});
    renderTimeline(byTime.groups || []);
    renderPercentiles('chart-ttft', byModel.groups || [], 'ttft_ms');
    renderPercentiles('chart-latency', byModel.groups || [], 'latency_ms');
    if (byUser) renderUsers(byUser.groups || []);
    $('models').replaceChildren(...(byModel.groups || []).map((g) => new Option(g.key)));
    const slowest = (records.data || []).filter((r) => r.latency_ms != null)
      .sort((a, b) => b.latency_ms - a.latency_ms).slice(0, 10);
    fillTable('slowest', slowest, [when, (r) => r.user_id, (r) => r.model, (r) => ms(r.latency_ms),
      (r) => ms(r.ttft_ms), (r) => fmt(r.prompt_tokens + r.completion_tokens), (r) => r.status]);
    fillTable('failed', failed.data || [], [when, (r) => r.user_id, (r) => r.model, (r) => r.status,
      (r) => r.error_type, (r) => r.source]);
    document.body.dataset.loaded = 'true';
  } catch (e) {
    $('message').textContent = e.message;
    $('message').hidden = false;
  }
}

async function start() {
  $('f-range').addEventListener('change', () => {
    $('filters').classList.toggle('custom', $('f-range').value === 'custom');
  });
  $('filters').addEventListener('submit', (e) => {
    e.preventDefault();
    load();
  });
  window.addEventListener('resize', () => Object.values(charts).forEach((c) => c.resize()));
  try {
    scope = await getJson('/v1/usage/scope');
  } catch (e) {
    $('message').textContent = e.message;
    $('message').hidden = false;
    return;
  }
  $('scope').textContent = scope.admin ? `${scope.user} · admin: everyone's usage` : `${scope.user} · your usage`;
  $('scope').dataset.scope = scope.scope;
  $('user-filter').hidden = !scope.admin;
  $('users-figure').hidden = !scope.admin;
  await load();
}

start();
