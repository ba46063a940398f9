// Parley playground. Bundled by the Quarkus Web Bundler (esbuild, mvnpm packages, no Node toolchain).
// Talks to chat-service's /v1 API with the session cookie; X-Requested-With makes an expired login answer
// 401/499 instead of a redirect to Keycloak.
import { marked } from 'marked';
import DOMPurify from 'dompurify';
import hljs from 'highlight.js/lib/common';

const $ = (id) => document.getElementById(id);
const MAX_ATTACHMENT_BYTES = 100 * 1024 * 1024;
const MAX_ATTACHMENTS = 32;
// the turn envelope's limits, as chat-service checks them (docs/architecture.md, "Turn envelope and attachments")
const ENDPOINT_MODES = { chat_completions: 'Chat Completions', responses: 'Responses', messages: 'Anthropic Messages' };
const CORRELATION_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const MAX_METADATA = 16;
const PROTECTED_OVERRIDES = ['model', 'messages', 'prompt', 'input', 'stream', 'stream_options'];
const MAX_OVERRIDES_BYTES = 16 * 1024;
const MODELS_POLL_MS = 5000;
const nf = new Intl.NumberFormat('en-US');

const state = {
  me: null,
  models: [], // every model the registry knows, with state and reason
  running: [], // models whose state is Ready
  modelsError: null,
  constraints: null, // of the selected model (before a chat exists)
  session: null, // the open chat with its messages
  sel: {}, // parent key -> selected child id (version navigation)
  busy: false,
  turn: null, // { id, lastEventId, userStopped, controller }
  live: null, // live metrics of the running turn
  attachments: [],
  editing: null, // id of the user message being edited
  edit: null, // { text, keep: stored attachments kept, files: new files } of the edit box
  renameId: null,
};

// ---------------------------------------------------------------- HTTP

class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

async function api(path, options = {}) {
  const headers = { 'X-Requested-With': 'JavaScript', ...(options.headers || {}) };
  if (options.body && !headers['Content-Type']) headers['Content-Type'] = 'application/json';
  const res = await fetch(path, { credentials: 'same-origin', ...options, headers });
  if (res.status === 401 || res.status === 499) {
    showError('Your login has expired. <a href="/">Log in again</a> (your chats are kept).', true);
    throw new ApiError(res.status, 'login expired');
  }
  return res;
}

async function failure(res) {
  const body = await res.json().catch(() => ({}));
  const message = (body.error && body.error.message) || ('the server answered HTTP ' + res.status);
  return new ApiError(res.status, message, body);
}

async function json(path, options) {
  const res = await api(path, options);
  if (!res.ok) throw await failure(res);
  if (res.status === 204) return null;
  return res.json();
}

// ---------------------------------------------------------------- small helpers

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) if (c != null) e.append(c);
  return e;
}

function showError(html, isHtml) {
  const b = $('error-banner');
  if (!html) { b.hidden = true; b.textContent = ''; return; }
  if (isHtml) b.innerHTML = html; else b.textContent = html;
  b.hidden = false;
}

function humanSize(bytes) {
  if (bytes < 1024) return bytes + ' B';
  if (bytes < 1024 * 1024) return (bytes / 1024).toFixed(1) + ' KB';
  if (bytes < 1024 * 1024 * 1024) return (bytes / 1024 / 1024).toFixed(1) + ' MB';
  return (bytes / 1024 / 1024 / 1024).toFixed(2) + ' GB';
}

function relTime(iso) {
  if (!iso) return '';
  const t = new Date(iso);
  const s = (Date.now() - t.getTime()) / 1000;
  if (s < 60) return 'just now';
  if (s < 3600) return Math.floor(s / 60) + ' min ago';
  if (s < 86400) return Math.floor(s / 3600) + ' h ago';
  return t.toLocaleDateString();
}

async function copyText(text, button) {
  try {
    await navigator.clipboard.writeText(text);
  } catch (e) {
    // a class, not a style attribute: the page's CSP allows no inline styles
    const ta = el('textarea', { 'aria-hidden': 'true', class: 'offscreen' });
    ta.value = text;
    document.body.append(ta);
    ta.select();
    document.execCommand('copy');
    ta.remove();
  }
  if (button) {
    const before = button.textContent;
    button.textContent = 'Copied';
    setTimeout(() => { button.textContent = before; }, 1200);
  }
}

function estimateTokens(text) {
  return text ? Math.ceil(text.length / 4) : 0;
}

function newKey() {
  return (crypto.randomUUID && crypto.randomUUID()) || (Date.now() + '-' + Math.random().toString(16).slice(2));
}

// ---------------------------------------------------------------- markdown

marked.setOptions({ gfm: true, breaks: false });

// Images in an answer: only data: and blob: ones are shown. Any other (markdown ![..](url) or <img>) becomes a link to
// it, so a model's answer (or a prompt injection in it) cannot make the browser fetch a URL, e.g. one that carries
// the chat in its query. Done inside DOMPurify, in its inert document, before any element exists in the page; the
// CSP (img-src 'self' data: blob:) would refuse the fetch anyway.
const SHOWN_IMAGE = /^(data:image\/|blob:)/i;
DOMPurify.addHook('afterSanitizeAttributes', (node) => {
  if (node.nodeName !== 'IMG') return;
  const src = node.getAttribute('src') || '';
  if (SHOWN_IMAGE.test(src)) return;
  const doc = node.ownerDocument;
  const label = node.getAttribute('alt') || node.getAttribute('title') || src || 'image';
  let replacement;
  if (/^https?:/i.test(src)) {
    replacement = doc.createElement('a');
    replacement.setAttribute('href', src);
    replacement.setAttribute('class', 'image-link');
    replacement.setAttribute('title', 'Image not loaded: ' + src);
    replacement.textContent = '[image: ' + label + ']';
  } else {
    replacement = doc.createElement('span');
    replacement.setAttribute('class', 'image-link');
    replacement.textContent = '[image: ' + label + ']';
  }
  node.replaceWith(replacement);
});

function renderMarkdown(target, text) {
  target.innerHTML = DOMPurify.sanitize(marked.parse(text || ''), { USE_PROFILES: { html: true } });
  target.querySelectorAll('pre > code').forEach((code) => {
    try { hljs.highlightElement(code); } catch (e) { /* unknown language: plain */ }
    const pre = code.parentElement;
    const btn = el('button', { type: 'button', class: 'copy-block', 'aria-label': 'Copy code block', text: 'Copy' });
    btn.addEventListener('click', () => copyText(code.textContent, btn));
    pre.append(btn);
  });
  target.querySelectorAll('a').forEach((a) => { a.target = '_blank'; a.rel = 'noopener noreferrer'; });
}

// ---------------------------------------------------------------- models

async function loadModels() {
  let all = null;
  try {
    const body = await json('/ui/models');
    all = body.models || [];
    state.modelsError = null;
  } catch (e) {
    try {
      const body = await json('/v1/models/running');
      all = body.models || [];
      state.modelsError = null;
    } catch (e2) {
      state.modelsError = e2.message;
      all = [];
    }
  }
  applyModels(all);
}

function applyModels(all) {
  state.models = all;
  state.running = all.filter((m) => (m.state || 'Ready') === 'Ready');
  renderModels();
}

/**
 * Follows the registry's change stream (relayed by chat-service); polling covers the time it is down. A `snapshot`
 * (or an older registry's `models`) replaces the list; a `delta` replaces its `upserted` entries by id and drops its
 * `removed` ids, but only when its `base_revision` is the revision held: otherwise an event was missed and the stream
 * is opened again, which starts with a snapshot.
 */
let modelStreamLive = false;
const modelStream = { es: null, revision: null, entries: new Map() };
function modelKey(m) {
  return m.id || ((m.namespace || 'static') + '/' + m.deployment + '/' + m.name);
}
function applyModelEntries() {
  state.modelsError = null;
  applyModels([...modelStream.entries.values()]);
}
function followModelChanges() {
  if (!window.EventSource) return;
  if (modelStream.es) modelStream.es.close();
  const es = new EventSource('/ui/models/changes');
  modelStream.es = es;
  modelStream.revision = null;
  const snapshot = (ev) => {
    modelStreamLive = true;
    try {
      const body = JSON.parse(ev.data);
      modelStream.entries = new Map((body.models || []).map((m) => [modelKey(m), m]));
      modelStream.revision = body.revision;
      applyModelEntries();
    } catch (e) { /* a bad event: the next one or the poll repairs it */ }
  };
  es.addEventListener('snapshot', snapshot);
  es.addEventListener('models', snapshot);
  es.addEventListener('delta', (ev) => {
    let body;
    try { body = JSON.parse(ev.data); } catch (e) { return; }
    if (modelStream.revision === null || body.base_revision !== modelStream.revision) {
      modelStreamLive = false;
      followModelChanges(); // missed a revision: start again from a snapshot
      return;
    }
    (body.removed || []).forEach((id) => modelStream.entries.delete(id));
    (body.upserted || []).forEach((m) => modelStream.entries.set(modelKey(m), m));
    modelStream.revision = body.revision;
    modelStreamLive = true;
    applyModelEntries();
  });
  es.onerror = () => { modelStreamLive = false; modelStream.revision = null; };
}

function renderModels() {
  const select = $('model');
  const previous = select.value || localStorage.getItem('parley.model') || '';
  const locked = !!(state.session && state.session.messages && state.session.messages.length);
  const wanted = state.session ? state.session.model_name : previous;
  const groups = new Map();
  for (const m of state.running) {
    const dep = m.deployment || 'other';
    if (!groups.has(dep)) groups.set(dep, []);
    groups.get(dep).push(m);
  }
  const signature = JSON.stringify([...groups.entries()].map(([d, ms]) => [d, ms.map((m) => m.name)])) + '|' + wanted;
  if (select.dataset.signature !== signature) {
    select.dataset.signature = signature;
    select.innerHTML = '';
    for (const [dep, ms] of [...groups.entries()].sort((a, b) => a[0].localeCompare(b[0]))) {
      const og = el('optgroup', { label: dep });
      ms.sort((a, b) => a.name.localeCompare(b.name))
        .forEach((m) => og.append(el('option', { value: m.name, text: m.name })));
      select.append(og);
    }
    if (wanted && !state.running.some((m) => m.name === wanted) && state.session) {
      select.append(el('option', { value: wanted, text: wanted + ' (not running)' }));
    }
    if (wanted && [...select.options].some((o) => o.value === wanted)) select.value = wanted;
  }
  select.disabled = locked || state.running.length === 0 && !state.session;
  const empty = state.running.length === 0;
  $('models-empty').hidden = !empty;
  $('models-empty').querySelector('strong').textContent = state.modelsError
    ? 'Models unavailable: ' + state.modelsError : 'No models running';
  updateComposer();
  if (!state.session && select.value && (!state.constraints || state.constraints.served_model_name !== select.value)) {
    loadConstraints(select.value);
  }
}

async function loadConstraints(name) {
  try {
    state.constraints = await json('/v1/models/' + encodeURIComponent(name) + '/constraints');
  } catch (e) {
    state.constraints = null;
  }
  applyConstraints();
}

function currentConstraints() {
  return (state.session && state.session.constraints) || state.constraints || {};
}

function applyConstraints() {
  const c = currentConstraints();
  const input = $('max-tokens');
  input.placeholder = c.max_tokens_default ? 'default ' + c.max_tokens_default : 'default';
  if (c.max_model_len) input.max = c.max_model_len; else input.removeAttribute('max');
  updateGauge();
}

function showWhy() {
  const list = $('why-list');
  list.innerHTML = '';
  if (state.modelsError) {
    list.append(el('li', { text: 'The model registry could not be asked: ' + state.modelsError }));
  } else if (state.models.length === 0) {
    list.append(el('li', { text: 'The registry knows no models: no deployment or static endpoint is configured.' }));
  }
  for (const m of state.models) {
    list.append(el('li', {},
      el('strong', { text: m.name }), ' (' + (m.deployment || 'no deployment') + '): ',
      el('span', { class: 'state', text: m.state || 'Unknown' }),
      m.reason ? ' — ' + m.reason : ''));
  }
  $('why-dialog').showModal();
}

// ---------------------------------------------------------------- sessions (sidebar)

async function loadSessions() {
  const body = await json('/v1/chat/sessions');
  const ul = $('sessions');
  ul.innerHTML = '';
  $('sessions-empty').hidden = body.data.length > 0;
  $('clear-all').disabled = body.data.length === 0;
  for (const s of body.data) {
    const active = state.session && state.session.id === s.id;
    const li = el('li', { class: active ? 'active' : '', 'data-id': s.id });
    const title = s.title || 'New chat';
    if (state.renameId === s.id) {
      const input = el('input', { type: 'text', class: 'rename-input', 'aria-label': 'New title', value: title });
      input.addEventListener('keydown', async (ev) => {
        if (ev.key === 'Enter') { ev.preventDefault(); await rename(s.id, input.value); }
        if (ev.key === 'Escape') { state.renameId = null; loadSessions(); }
      });
      input.addEventListener('blur', () => { if (state.renameId === s.id) rename(s.id, input.value); });
      li.append(input);
      ul.append(li);
      setTimeout(() => { input.focus(); input.select(); });
      continue;
    }
    const open = el('button', { type: 'button', class: 'session-open', 'aria-current': active ? 'true' : null,
      title },
    el('span', { class: 'session-title', text: title }),
    el('span', { class: 'session-meta', text: s.model_name + ' · ' + relTime(s.updated_at || s.created_at) }));
    open.addEventListener('click', () => openSession(s.id).catch((e) => showError(e.message)));
    const actions = el('span', { class: 'session-actions' },
      el('button', { type: 'button', 'aria-label': 'Rename ' + title, title: 'Rename', text: 'Rename',
        onclick: () => { state.renameId = s.id; loadSessions(); } }),
      el('button', { type: 'button', 'aria-label': 'Delete ' + title, title: 'Delete', text: 'Delete',
        onclick: () => deleteSession(s.id, title) }));
    li.append(open, actions);
    ul.append(li);
  }
}

async function rename(id, title) {
  state.renameId = null;
  const t = (title || '').trim();
  if (t) {
    try {
      const s = await json('/v1/chat/sessions/' + id, { method: 'PATCH', body: JSON.stringify({ title: t }) });
      if (state.session && state.session.id === id) state.session.title = s.title;
    } catch (e) { showError('Could not rename the chat: ' + e.message); }
  }
  await loadSessions();
}

function confirmDialog(text, okLabel) {
  return new Promise((resolve) => {
    const d = $('confirm-dialog');
    $('confirm-text').textContent = text;
    $('confirm-ok').textContent = okLabel;
    const done = (v) => { d.close(); resolve(v); };
    $('confirm-ok').onclick = () => done(true);
    $('confirm-cancel').onclick = () => done(false);
    d.oncancel = (ev) => { ev.preventDefault(); done(false); };
    d.showModal();
    $('confirm-cancel').focus();
  });
}

async function deleteSession(id, title) {
  if (!(await confirmDialog('Delete the chat “' + title + '”? This cannot be undone.', 'Delete'))) return;
  try {
    await json('/v1/chat/sessions/' + id, { method: 'DELETE' });
  } catch (e) { showError('Could not delete the chat: ' + e.message); }
  if (state.session && state.session.id === id) resetChat();
  await loadSessions();
}

async function clearAll() {
  if (!(await confirmDialog('Delete all your chats? This cannot be undone.', 'Delete all'))) return;
  try {
    await json('/v1/chat/sessions', { method: 'DELETE' });
  } catch (e) { showError('Could not clear the history: ' + e.message); }
  resetChat();
  await loadSessions();
}

// ---------------------------------------------------------------- one chat

async function openSession(id, notice) {
  const s = await json('/v1/chat/sessions/' + id);
  state.session = s;
  state.sel = {};
  state.editing = null;
  state.edit = null;
  state.live = null;
  history.replaceState(null, '', '#chat=' + s.id);
  fillParams(s.params || {});
  // the advanced fields continue with the envelope this chat was last sent with
  const lastUser = [...currentPath()].reverse().find((m) => m.role === 'user');
  if (lastUser) fillEnvelope(lastUser.envelope);
  showError('');
  showNotice(notice);
  renderAll();
  loadSessions().catch(() => {});
  const path = currentPath();
  const last = path[path.length - 1];
  if (last && last.role === 'assistant' && last.status === 'streaming') {
    // a turn still running (page reloaded or network dropped): replay its events and follow it to the end
    follow(last.id, 0, true);
  }
}

function resetChat() {
  state.session = null;
  state.sel = {};
  state.live = null;
  state.editing = null;
  state.edit = null;
  showNotice(null);
  history.replaceState(null, '', location.pathname);
  renderAll();
  applyConstraints();
  $('input').focus();
}

function showNotice(text) {
  $('notice').hidden = !text;
  $('notice').textContent = text || '';
}

/**
 * Fork: a new chat holding the displayed conversation up to {@code messageId} (default: the last message shown),
 * with the same model or {@code model}. The original chat is left as it is.
 */
async function fork(messageId, model) {
  if (state.busy || !state.session) return null;
  const from = state.session;
  const path = currentPath();
  const leaf = messageId || (path.length ? path[path.length - 1].id : null);
  const body = {};
  if (leaf) body.message_id = leaf;
  if (model && model !== from.model_name) body.model = model;
  // the server names a fork "<title> (fork)"; a fork of a fork keeps its name, a switch of model says which
  if (body.model) {
    let base = from.title || 'New chat';
    let before;
    do {
      before = base;
      for (const tail of [' (fork)', ' (' + from.model_name + ')']) if (base.endsWith(tail)) base = base.slice(0, -tail.length);
    } while (base !== before);
    body.title = base + ' (' + body.model + ')';
  } else if (/ \(fork\)$/.test(from.title || '')) body.title = from.title;
  const s = await json('/v1/chat/sessions/' + from.id + '/fork', { method: 'POST', body: JSON.stringify(body) });
  await openSession(s.id, 'Forked from “' + (from.title || 'New chat') + '”' + (body.model ? ' to continue with ' + s.model_name : '')
    + '. The original chat is unchanged.');
  $('input').focus();
  return s;
}

async function forkOrShow(messageId) {
  try {
    await fork(messageId, null);
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 401)) showError('Could not fork the chat: ' + e.message);
  }
}

/** The lock banner's "new chat with another model": carry the conversation over (fork) or start empty. */
function openSwitchDialog() {
  const select = $('switch-model');
  select.innerHTML = '';
  const current = state.session && state.session.model_name;
  const groups = new Map();
  for (const m of state.running) {
    const dep = m.deployment || 'other';
    if (!groups.has(dep)) groups.set(dep, []);
    groups.get(dep).push(m);
  }
  for (const [dep, ms] of [...groups.entries()].sort((a, b) => a[0].localeCompare(b[0]))) {
    const og = el('optgroup', { label: dep });
    ms.sort((a, b) => a.name.localeCompare(b.name)).forEach((m) => og.append(el('option', { value: m.name,
      text: m.name + (m.name === current ? ' (this chat’s model)' : '') })));
    select.append(og);
  }
  // preselect another model of the same deployment, else the first other one shown
  const currentDeployment = (state.running.find((m) => m.name === current) || {}).deployment || 'other';
  const others = [...select.options].filter((o) => o.value !== current);
  const other = others.find((o) => o.parentElement.label === currentDeployment) || others[0];
  if (other) select.value = other.value;
  $('switch-error').textContent = '';
  const none = state.running.length === 0;
  $('switch-fork').disabled = none || !state.session || state.busy;
  $('switch-empty').disabled = false;
  if (none) $('switch-error').textContent = 'No models are running right now.';
  $('switch-dialog').showModal();
  select.focus();
}

async function switchModel(carryOver) {
  const model = $('switch-model').value;
  if (!carryOver) {
    $('switch-dialog').close();
    resetChat();
    if (model) {
      $('model').value = model;
      localStorage.setItem('parley.model', model);
      state.constraints = null;
      loadConstraints(model);
      updateComposer();
    }
    return;
  }
  $('switch-fork').disabled = true;
  try {
    await fork(null, model);
    $('switch-dialog').close();
  } catch (e) {
    $('switch-error').textContent = 'Could not carry the conversation over: ' + e.message;
  } finally {
    $('switch-fork').disabled = false;
  }
}

// ---------------------------------------------------------------- export menu

function exportAs(format) {
  closeExportMenu(true);
  if (!state.session) return;
  const a = el('a', { href: '/v1/chat/sessions/' + state.session.id + '/export?format=' + format, download: '' });
  document.body.append(a);
  a.click();
  a.remove();
}

function exportItems() {
  return [...document.querySelectorAll('#export-menu [role=menuitem]')];
}

function openExportMenu(focusIndex = 0) {
  $('export-menu').hidden = false;
  $('export').setAttribute('aria-expanded', 'true');
  const items = exportItems();
  items[(focusIndex + items.length) % items.length].focus();
}

function closeExportMenu(returnFocus) {
  if ($('export-menu').hidden) return;
  $('export-menu').hidden = true;
  $('export').setAttribute('aria-expanded', 'false');
  if (returnFocus) $('export').focus();
}

function wireExportMenu() {
  $('export').addEventListener('click', () => {
    if ($('export-menu').hidden) openExportMenu(0); else closeExportMenu(false);
  });
  $('export').addEventListener('keydown', (ev) => {
    if (ev.key === 'ArrowDown') { ev.preventDefault(); openExportMenu(0); }
    if (ev.key === 'ArrowUp') { ev.preventDefault(); openExportMenu(-1); }
  });
  for (const item of exportItems()) {
    item.addEventListener('click', () => exportAs(item.dataset.format));
    item.addEventListener('keydown', (ev) => {
      const items = exportItems();
      const i = items.indexOf(item);
      if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
        ev.preventDefault();
        items[(i + (ev.key === 'ArrowDown' ? 1 : -1) + items.length) % items.length].focus();
      } else if (ev.key === 'Home' || ev.key === 'End') {
        ev.preventDefault();
        items[ev.key === 'Home' ? 0 : items.length - 1].focus();
      } else if (ev.key === 'Escape') {
        ev.preventDefault();
        closeExportMenu(true);
      } else if (ev.key === 'Tab') {
        closeExportMenu(false);
      }
    });
  }
  document.addEventListener('click', (ev) => {
    if (!ev.target.closest || !ev.target.closest('.menu-wrap')) closeExportMenu(false);
  });
}

function fillParams(p) {
  const t = p.temperature != null ? p.temperature : 0.7;
  $('temperature').value = t;
  $('temperature-value').textContent = Number(t).toFixed(2);
  $('max-tokens').value = p.max_tokens != null ? p.max_tokens : '';
  $('top-p').value = p.top_p != null ? p.top_p : '';
  $('system-prompt').value = p.system_prompt || '';
}

function childrenOf(key) {
  return (state.session ? state.session.messages : []).filter((m) => (m.parent_id || 'root') === key);
}

/** The displayed branch: from the root, the selected (default: newest) child at each step. */
function currentPath() {
  const path = [];
  let key = 'root';
  for (let guard = 0; guard < 10000; guard++) {
    const kids = childrenOf(key);
    if (!kids.length) break;
    const chosen = kids.find((m) => m.id === state.sel[key]) || kids[kids.length - 1];
    path.push(chosen);
    key = chosen.id;
  }
  return path;
}

function renderAll() {
  const box = $('messages');
  box.innerHTML = '';
  const path = currentPath();
  if (!path.length) {
    box.append(el('div', { id: 'welcome', class: 'welcome' },
      el('h1', { text: 'What shall we try?' }),
      el('p', { class: 'muted', text: 'Pick a model, set the parameters, and send a message. '
        + 'Enter sends, Shift+Enter starts a new line.' })));
  }
  for (const m of path) box.append(renderMessage(m));
  box.scrollTop = box.scrollHeight;
  const locked = !!(state.session && state.session.messages.length);
  $('lock-banner').hidden = !locked;
  if (locked) $('lock-model').textContent = state.session.model_name;
  $('view-code').disabled = !state.session;
  $('export').disabled = !state.session;
  if (!state.session) closeExportMenu(false);
  renderModels();
  applyConstraints();
  const lastAnswer = [...path].reverse().find((m) => m.role === 'assistant');
  if (!state.live) showMetrics(lastAnswer && lastAnswer.metrics);
}

function versionNav(m) {
  const siblings = childrenOf(m.parent_id || 'root').filter((x) => x.role === m.role);
  if (siblings.length < 2) return null;
  const i = siblings.findIndex((x) => x.id === m.id);
  const go = (d) => {
    const next = siblings[i + d];
    if (!next || state.busy) return;
    state.sel[m.parent_id || 'root'] = next.id;
    state.live = null;
    renderAll();
  };
  return el('span', { class: 'versions', role: 'group', 'aria-label': 'Versions' },
    el('button', { type: 'button', 'aria-label': 'Previous version', text: '‹', disabled: i === 0 || null,
      onclick: () => go(-1) }),
    el('span', { class: 'version-label', text: (i + 1) + '/' + siblings.length }),
    el('button', { type: 'button', 'aria-label': 'Next version', text: '›',
      disabled: i === siblings.length - 1 || null, onclick: () => go(1) }));
}

function metricsText(x) {
  if (!x) return '';
  const parts = [];
  if (x.ttft_ms != null) parts.push('time to first token ' + Math.round(x.ttft_ms) + ' ms');
  if (x.tokens_per_sec != null) parts.push('speed ' + Number(x.tokens_per_sec).toFixed(1) + ' tokens/s');
  if (x.prompt_tokens != null) parts.push('prompt ' + nf.format(x.prompt_tokens) + ' tokens');
  if (x.completion_tokens != null) parts.push('completion ' + nf.format(x.completion_tokens) + ' tokens');
  if (x.latency_ms != null) parts.push('total ' + Math.round(x.latency_ms) + ' ms');
  return parts.join(', ');
}

/**
 * A message's expandable details: an answer's server-side metrics and the envelope of the message it answers; a user
 * message's envelope. Nothing to show: no details.
 */
function messageDetails(m) {
  const request = m.role === 'assistant' ? assistant(m.parent_id) : m;
  const env = envelopeEntries(request && request.envelope);
  const metrics = m.role === 'assistant' ? metricsText(m.metrics) : '';
  if (!metrics && !env.length) return null;
  const d = el('details', { class: 'msg-details' }, el('summary', { text: 'Details' }));
  if (metrics) d.append(el('p', { class: 'details-metrics', text: 'Metrics: ' + metrics }));
  if (env.length) {
    const dl = el('dl', { class: 'envelope', 'aria-label': 'Sent with' });
    for (const [k, v] of env) dl.append(el('dt', { text: k }), el('dd', { text: v }));
    d.append(dl);
  }
  // an open details element stays open when the message is redrawn (streaming, refresh)
  d.open = openDetails.has(m.id);
  d.addEventListener('toggle', () => { if (d.open) openDetails.add(m.id); else openDetails.delete(m.id); });
  return d;
}
const openDetails = new Set();

function attachmentLabel(a) {
  return (a.mime_type || 'application/octet-stream').split('/').pop();
}

/** The attachments stored with a user message: chips that download the bytes (pending ones: plain chips). */
function messageAttachments(m) {
  const list = m.attachments || [];
  if (!list.length) return null;
  const box = el('ul', { class: 'msg-attachments', 'aria-label': 'Attachments' });
  for (const a of list) {
    const inner = [el('span', { class: 'chip-type', text: attachmentLabel(a) }), el('span', { class: 'chip-name', text: a.name }),
      el('span', { class: 'muted', text: humanSize(a.size_bytes || 0) })];
    const described = a.name + ', ' + (a.mime_type || 'unknown type') + ', ' + humanSize(a.size_bytes || 0);
    const chip = a.id && state.session
      ? el('a', { class: 'chip chip-link', href: '/v1/chat/sessions/' + state.session.id + '/attachments/' + a.id,
        download: a.name, 'aria-label': 'Download ' + described, title: 'Download ' + a.name }, ...inner)
      : el('span', { class: 'chip', 'aria-label': described }, ...inner);
    box.append(el('li', {}, chip));
  }
  return box;
}

function statusLine(m) {
  if (m.status === 'error') {
    return el('p', { class: 'status-line error', role: 'alert',
      text: 'The answer failed: ' + (m.error || 'generation failed') + (m.content ? ' (the partial answer is kept above)' : '') });
  }
  if (m.status === 'stopped') return el('p', { class: 'status-line stopped', text: 'Stopped — the partial answer is kept.' });
  if (m.reconnecting) return el('p', { class: 'status-line stopped', text: 'Connection lost — reconnecting…' });
  return null;
}

function renderMessage(m) {
  const div = el('div', { class: 'msg ' + m.role + (m.status === 'error' ? ' error' : ''), 'data-id': m.id });
  div.append(el('span', { class: 'who', text: m.role === 'user' ? (state.me ? state.me.user : 'You') : (state.session ? state.session.model_name : 'Assistant') }));
  const body = el('div', { class: 'body' });
  if (m.role === 'user' && state.editing === m.id && state.edit) {
    body.append(editBox(m));
    div.append(body);
    return div;
  }
  if (m.role === 'user') body.textContent = m.content;
  else renderMarkdown(body, m.content);
  const attachments = m.role === 'user' ? messageAttachments(m) : null;
  if (m.status === 'streaming') {
    if (!m.content) body.append(el('span', { class: 'typing', 'aria-label': 'The model is typing' }, el('span'), el('span'), el('span')));
  }
  div.append(body);
  if (attachments) div.append(attachments);
  const status = statusLine(m);
  if (status) div.append(status);
  if (m.status !== 'streaming') {
    const tools = el('div', { class: 'msg-tools' });
    const nav = versionNav(m);
    if (nav) tools.append(nav);
    const copy = el('button', { type: 'button', text: 'Copy', 'aria-label': 'Copy message' });
    copy.addEventListener('click', () => copyText(m.content, copy));
    tools.append(copy);
    if (m.role === 'assistant') {
      tools.append(el('button', { type: 'button', text: 'Regenerate', 'aria-label': 'Regenerate this answer',
        disabled: state.busy || null, onclick: () => regenerate(m) }));
    } else {
      tools.append(el('button', { type: 'button', text: 'Edit', 'aria-label': 'Edit and resend',
        disabled: state.busy || null, onclick: () => startEdit(m) }));
    }
    if (!String(m.id).startsWith('pending-')) {
      tools.append(el('button', { type: 'button', text: 'Fork', 'aria-label': 'Fork from here',
        title: 'A new chat with the conversation up to this message', disabled: state.busy || null,
        onclick: () => forkOrShow(m.id) }));
    }
    div.append(tools);
    const details = messageDetails(m);
    if (details) div.append(details);
  }
  return div;
}

// ---------------------------------------------------------------- edit-and-resend

/** Opens the edit box of a user message: its text, and its stored attachments kept unless removed. */
function startEdit(m) {
  state.editing = m.id;
  state.edit = { text: m.content, keep: (m.attachments || []).filter((a) => a.id), files: [], focus: true, error: '' };
  renderAll();
}

function cancelEdit() {
  state.editing = null;
  state.edit = null;
  renderAll();
}

function editChip(a, type, size, onRemove) {
  return el('li', {}, el('span', { class: 'chip' },
    el('span', { class: 'chip-type', text: (type || 'application/octet-stream').split('/').pop() }),
    el('span', { class: 'chip-name', text: a.name }),
    el('span', { class: 'muted', text: humanSize(size || 0) }),
    el('button', { type: 'button', 'aria-label': 'Remove ' + a.name, text: '×', onclick: onRemove })));
}

function editBox(m) {
  const edit = state.edit;
  const ta = el('textarea', { 'aria-label': 'Edit message', rows: 3 });
  ta.value = edit.text;
  ta.addEventListener('input', () => { edit.text = ta.value; });
  const save = () => editAndResend(m, ta.value);
  ta.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && !ev.shiftKey) { ev.preventDefault(); save(); }
    if (ev.key === 'Escape') cancelEdit();
  });
  const chips = el('ul', { class: 'msg-attachments edit-attachments', 'aria-label': 'Attachments of the edit' });
  for (const a of edit.keep) {
    chips.append(editChip(a, a.mime_type, a.size_bytes, () => {
      edit.keep = edit.keep.filter((x) => x !== a);
      edit.error = '';
      renderAll();
    }));
  }
  for (const f of edit.files) {
    chips.append(editChip(f, f.type, f.size, () => {
      edit.files = edit.files.filter((x) => x !== f);
      edit.error = '';
      renderAll();
    }));
  }
  const picker = el('input', { type: 'file', multiple: true, hidden: true, class: 'edit-file' });
  picker.addEventListener('change', () => { addEditFiles(picker.files); });
  const box = el('div', { class: 'edit-box' }, ta);
  if (edit.keep.length || edit.files.length) box.append(chips);
  box.append(el('p', { class: 'field-error', role: 'alert', text: edit.error || '' }), picker,
    el('div', { class: 'msg-tools' },
      el('button', { type: 'button', text: 'Save & submit', onclick: save }),
      el('button', { type: 'button', text: 'Attach', 'aria-label': 'Attach files to the edit',
        onclick: () => picker.click() }),
      el('button', { type: 'button', text: 'Cancel', onclick: cancelEdit })));
  if (edit.focus) {
    edit.focus = false;
    setTimeout(() => ta.focus());
  }
  return box;
}

/** New files for the edit box, with the composer's limits counted over the kept ones too. */
function addEditFiles(files) {
  const edit = state.edit;
  if (!edit) return;
  edit.error = '';
  for (const f of files) {
    const count = edit.keep.length + edit.files.length;
    const total = edit.keep.reduce((n, a) => n + (a.size_bytes || 0), 0) + edit.files.reduce((n, x) => n + x.size, 0) + f.size;
    if (count >= MAX_ATTACHMENTS) {
      edit.error = '“' + f.name + '” was not added: at most ' + MAX_ATTACHMENTS + ' attachments per message.';
    } else if (total > MAX_ATTACHMENT_BYTES) {
      edit.error = '“' + f.name + '” (' + humanSize(f.size) + ') was not added: attachments are limited to 100 MB per message'
        + (f.size <= MAX_ATTACHMENT_BYTES ? ' in total' : '') + '.';
    } else {
      edit.files.push(f);
    }
  }
  renderAll();
}

function updateMessageBody(m) {
  const div = document.querySelector('.msg[data-id="' + CSS.escape(m.id) + '"]');
  if (!div) { renderAll(); return; }
  div.replaceWith(renderMessage(m));
  const box = $('messages');
  box.scrollTop = box.scrollHeight;
}

let renderPending = null;
function scheduleRender(m) {
  if (renderPending) return;
  renderPending = requestAnimationFrame(() => { renderPending = null; updateMessageBody(m); });
}

// ---------------------------------------------------------------- metrics and context

function showMetrics(m) {
  const bar = $('metrics');
  if (!m) { bar.textContent = ''; return; }
  const parts = [];
  if (m.ttft_ms != null) parts.push('TTFT ' + Math.round(m.ttft_ms) + ' ms');
  if (m.tokens_per_sec != null) parts.push(Number(m.tokens_per_sec).toFixed(1) + ' tok/s');
  if (m.completion_tokens != null) parts.push(nf.format(m.completion_tokens) + ' tokens');
  if (m.latency_ms != null) parts.push('latency ' + Math.round(m.latency_ms) + ' ms');
  bar.textContent = parts.join(' · ');
}

function showLiveMetrics() {
  const l = state.live;
  if (!l) return;
  const now = performance.now();
  const parts = [];
  if (l.first != null) {
    parts.push('TTFT ' + Math.round(l.first - l.start) + ' ms');
    const secs = (now - l.first) / 1000;
    parts.push((secs > 0.05 ? l.tokens / secs : 0).toFixed(1) + ' tok/s');
  } else {
    parts.push('waiting for the first token…');
  }
  parts.push(nf.format(l.tokens) + ' tokens');
  parts.push((now - l.start) / 1000 >= 0 ? ((now - l.start) / 1000).toFixed(1) + ' s' : '');
  $('metrics').replaceChildren(el('span', { class: 'live', text: 'Live ' }), parts.join(' · '));
}

function updateGauge() {
  const gauge = $('context-gauge');
  const c = currentConstraints();
  const model = state.models.find((m) => m.name === (state.session ? state.session.model_name : $('model').value));
  const limit = c.max_model_len || (model && model.max_model_len);
  const path = currentPath();
  const lastAnswer = [...path].reverse().find((m) => m.role === 'assistant' && m.metrics);
  let used = 0;
  let estimated = false;
  if (lastAnswer && lastAnswer.metrics.prompt_tokens != null) {
    used = lastAnswer.metrics.prompt_tokens + (lastAnswer.metrics.completion_tokens || 0);
  } else {
    used = estimateTokens($('system-prompt').value) + path.reduce((n, m) => n + estimateTokens(m.content) + 4, 0);
    estimated = used > 0;
  }
  const typed = $('input').value;
  if (typed) { used += estimateTokens(typed) + 4; estimated = true; }
  if (!limit) { gauge.textContent = used ? 'Context: ' + nf.format(used) + ' tokens' : ''; gauge.classList.remove('warn'); return; }
  const reserve = Number($('max-tokens').value) || c.max_tokens_default || 0;
  const warn = used + reserve > limit * 0.9;
  gauge.textContent = 'Context: ' + nf.format(used) + ' / ' + nf.format(limit) + ' tokens'
    + (estimated ? ' (estimate)' : '')
    + (warn ? ' — close to the limit: shorten the chat or lower max tokens' : '');
  gauge.classList.toggle('warn', warn);
}

// ---------------------------------------------------------------- composing

function readParams() {
  const problems = [];
  const p = { temperature: Number($('temperature').value) };
  const mt = $('max-tokens').value.trim();
  const c = currentConstraints();
  if (mt) {
    const n = Number(mt);
    if (!Number.isInteger(n) || n < 1 || (c.max_model_len && n > c.max_model_len)) {
      problems.push('Max tokens must be a whole number from 1' + (c.max_model_len ? ' to ' + c.max_model_len : '') + '.');
    }
    p.max_tokens = n;
  } else p.max_tokens = null;
  const tp = $('top-p').value.trim();
  if (tp) {
    const n = Number(tp);
    if (!(n > 0 && n <= 1)) problems.push('Top-p must be greater than 0 and at most 1.');
    p.top_p = n;
  } else p.top_p = null;
  const sp = $('system-prompt').value;
  p.system_prompt = sp.trim() ? sp : null;
  return { params: p, problems };
}

/** The inline error element of a request field, by the server's {@code param} name (or the page's own). */
function fieldFor(param) {
  const p = String(param || '');
  if (p.startsWith('attachments')) return { error: 'attach-error', focus: 'attach', advanced: false };
  if (p.startsWith('metadata')) return { error: 'metadata-error', focus: 'add-metadata', advanced: true };
  if (p.startsWith('overrides') || p.toLowerCase() === 'x-parley-overrides') {
    return { error: 'overrides-error', focus: 'overrides', advanced: true };
  }
  if (p.startsWith('correlation_id') || p.toLowerCase() === 'x-correlation-id') {
    return { error: 'correlation-id-error', focus: 'correlation-id', advanced: true };
  }
  if (p.startsWith('endpoint_mode')) return { error: 'endpoint-mode-error', focus: 'endpoint-mode', advanced: true };
  return null;
}

const ENVELOPE_ERRORS = ['endpoint-mode-error', 'correlation-id-error', 'metadata-error', 'overrides-error'];

function setFieldError(id, message) {
  const p = $(id);
  p.textContent = message || '';
  const control = p.parentElement.querySelector('input, select, textarea');
  if (control && p.id !== 'attach-error') control.toggleAttribute('aria-invalid', !!message);
}

/** Shows a problem next to its field, opening the advanced panel when the field is in it. */
function showFieldError(param, message) {
  const f = fieldFor(param);
  if (!f) return false;
  setFieldError(f.error, message);
  if (f.advanced) $('advanced').open = true;
  return true;
}

/**
 * Reads and checks the advanced envelope: endpoint mode, correlation id, metadata and request overrides. Only what
 * differs from the defaults goes into the turn body. Problems are shown next to their field.
 */
function readEnvelope() {
  const problems = [];
  const fail = (param, message) => { problems.push(message); showFieldError(param, message); };
  ENVELOPE_ERRORS.forEach((id) => setFieldError(id, ''));
  const envelope = {};
  const mode = $('endpoint-mode').value;
  if (!ENDPOINT_MODES[mode]) fail('endpoint_mode', 'Pick an endpoint mode.');
  else if (mode !== 'chat_completions') envelope.endpoint_mode = mode;

  const cid = $('correlation-id').value.trim();
  if (cid) {
    if (CORRELATION_ID.test(cid)) envelope.correlation_id = cid;
    else fail('correlation_id', 'A correlation id is 1 to 128 letters, digits or . _ : - (no spaces).');
  }

  const metadata = {};
  const metaProblems = [];
  document.querySelectorAll('#metadata-rows .meta-row').forEach((row) => {
    const [k, v] = row.querySelectorAll('input');
    const key = k.value.trim();
    if (!key) {
      if (v.value.trim()) metaProblems.push('A metadata value needs a key.');
      return;
    }
    if (key.length > 64) metaProblems.push('Metadata key “' + key.slice(0, 20) + '…” is longer than 64 characters.');
    else if (key === 'source') metaProblems.push('The metadata key “source” is reserved (Parley sends source=playground).');
    else if (Object.prototype.hasOwnProperty.call(metadata, key)) metaProblems.push('Metadata key “' + key + '” appears twice.');
    if (v.value.length > 512) metaProblems.push('The value of metadata key “' + key + '” is longer than 512 characters.');
    metadata[key] = v.value;
  });
  if (Object.keys(metadata).length > MAX_METADATA) metaProblems.push('At most ' + MAX_METADATA + ' metadata pairs.');
  if (metaProblems.length) fail('metadata', metaProblems.join(' '));
  else if (Object.keys(metadata).length) envelope.metadata = metadata;

  const text = $('overrides').value.trim();
  if (text) {
    let overrides = null;
    try {
      overrides = JSON.parse(text);
      if (!overrides || typeof overrides !== 'object' || Array.isArray(overrides)) throw new Error('not an object');
    } catch (e) {
      overrides = null;
      fail('overrides', 'Request overrides must be a JSON object, e.g. {"stop": ["###"]}: ' + e.message);
    }
    if (overrides) {
      const owned = Object.keys(overrides).filter((k) => PROTECTED_OVERRIDES.includes(k));
      if (owned.length) {
        fail('overrides', 'Request overrides cannot change ' + owned.join(', ') + ': Parley sets '
          + (owned.length > 1 ? 'them' : 'it') + ' itself.');
      } else if (new TextEncoder().encode(JSON.stringify(overrides)).length > MAX_OVERRIDES_BYTES) {
        fail('overrides', 'Request overrides are limited to 16 KB.');
      } else if (Object.keys(overrides).length) envelope.overrides = overrides;
    }
  }
  return { envelope, problems };
}

/** Fills the advanced envelope fields (the envelope a chat's last message was sent with, or the defaults). */
function fillEnvelope(env) {
  const e = env || {};
  $('endpoint-mode').value = ENDPOINT_MODES[e.endpoint_mode] ? e.endpoint_mode : 'chat_completions';
  $('correlation-id').value = e.correlation_id || '';
  $('metadata-rows').innerHTML = '';
  for (const [k, v] of Object.entries(e.metadata || {})) if (k !== 'source') addMetadataRow(k, v);
  $('overrides').value = e.overrides && Object.keys(e.overrides).length ? JSON.stringify(e.overrides) : '';
  ENVELOPE_ERRORS.forEach((id) => setFieldError(id, ''));
  updateAdvancedSummary();
}

/** What the collapsed "Advanced" heading says is set, so a non-default envelope is never invisible. */
function updateAdvancedSummary() {
  const parts = [];
  const mode = $('endpoint-mode').value;
  if (mode !== 'chat_completions') parts.push(ENDPOINT_MODES[mode] || mode);
  if ($('correlation-id').value.trim()) parts.push('correlation id');
  const n = [...document.querySelectorAll('#metadata-rows .meta-row input:first-child')].filter((i) => i.value.trim()).length;
  if (n) parts.push(n + ' metadata');
  if ($('overrides').value.trim()) parts.push('overrides');
  $('advanced-summary').textContent = parts.length ? '· ' + parts.join(', ') : '';
  $('add-metadata').disabled = document.querySelectorAll('#metadata-rows .meta-row').length >= MAX_METADATA;
}

/** Label/value pairs describing a stored envelope (per-message details). */
function envelopeEntries(env) {
  if (!env) return [];
  const out = [];
  if (env.endpoint_mode) out.push(['Endpoint mode', ENDPOINT_MODES[env.endpoint_mode] || env.endpoint_mode]);
  if (env.correlation_id) out.push(['Correlation id', env.correlation_id]);
  const meta = Object.entries(env.metadata || {});
  if (meta.length) out.push(['Metadata', meta.map(([k, v]) => k + '=' + v).join(', ')]);
  if (env.overrides && Object.keys(env.overrides).length) out.push(['Overrides', JSON.stringify(env.overrides)]);
  return out;
}

function addMetadataRow(k = '', v = '') {
  const row = el('div', { class: 'meta-row' },
    el('input', { type: 'text', 'aria-label': 'Metadata key', placeholder: 'key', value: k, maxlength: 64,
      spellcheck: 'false', autocomplete: 'off' }),
    el('input', { type: 'text', 'aria-label': 'Metadata value', placeholder: 'value', value: v, maxlength: 512,
      autocomplete: 'off' }));
  row.append(el('button', { type: 'button', class: 'quiet small', 'aria-label': 'Remove metadata row', text: '×',
    onclick: () => { row.remove(); setFieldError('metadata-error', ''); updateAdvancedSummary(); $('add-metadata').focus(); } }));
  $('metadata-rows').append(row);
  updateAdvancedSummary();
  return row;
}

function sameParams(a, b) {
  const norm = (p) => JSON.stringify({ temperature: p.temperature ?? 0.7, max_tokens: p.max_tokens ?? null,
    top_p: p.top_p ?? null, system_prompt: p.system_prompt ?? null });
  return norm(a || {}) === norm(b || {});
}

function updateComposer() {
  const hasModel = !!(state.session || $('model').value);
  $('send').disabled = state.busy || !hasModel;
  $('stop').hidden = !state.busy;
  $('new-chat').disabled = state.busy;
  $('clear-all').disabled = state.busy || $('sessions').children.length === 0;
}

function setBusy(busy) {
  state.busy = busy;
  updateComposer();
}

async function addFiles(files) {
  $('attach-error').textContent = '';
  for (const f of files) {
    if (state.attachments.length >= MAX_ATTACHMENTS) {
      $('attach-error').textContent = '“' + (f.name || 'pasted file') + '” was not added: at most ' + MAX_ATTACHMENTS
        + ' attachments per message.';
      continue;
    }
    const total = state.attachments.reduce((n, a) => n + a.size, 0) + f.size;
    if (f.size > MAX_ATTACHMENT_BYTES || total > MAX_ATTACHMENT_BYTES) {
      $('attach-error').textContent = '“' + (f.name || 'pasted file') + '” (' + humanSize(f.size) + ') was not added: '
        + 'attachments are limited to 100 MB per message' + (f.size <= MAX_ATTACHMENT_BYTES ? ' in total' : '') + '.';
      continue;
    }
    state.attachments.push({ id: newKey(), file: f, name: f.name || 'pasted-file', type: f.type || 'application/octet-stream', size: f.size });
  }
  renderChips();
}

function renderChips() {
  const box = $('chips');
  box.innerHTML = '';
  for (const a of state.attachments) {
    box.append(el('span', { class: 'chip' },
      el('span', { class: 'chip-type', text: a.type.split('/').pop() }),
      el('span', { class: 'chip-name', text: a.name }),
      el('span', { class: 'muted', text: humanSize(a.size) }),
      el('button', { type: 'button', 'aria-label': 'Remove ' + a.name, text: '×', onclick: () => {
        state.attachments = state.attachments.filter((x) => x.id !== a.id);
        $('attach-error').textContent = '';
        renderChips();
      } })));
  }
}

function readAsDataUrl(file) {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(r.result);
    r.onerror = () => reject(r.error);
    r.readAsDataURL(file);
  });
}

async function ensureSession(params) {
  if (state.session) {
    if (!sameParams(state.session.params, params)) {
      state.session = { ...state.session, ...(await json('/v1/chat/sessions/' + state.session.id,
        { method: 'PATCH', body: JSON.stringify({ params }) })), messages: state.session.messages };
    }
    return state.session;
  }
  const model = $('model').value;
  if (!model) throw new Error('No models running: nothing to chat with yet.');
  const clean = Object.fromEntries(Object.entries(params).filter(([, v]) => v != null));
  const s = await json('/v1/chat/sessions', { method: 'POST', body: JSON.stringify({ model, params: clean }) });
  state.session = { ...s, messages: [] };
  localStorage.setItem('parley.model', model);
  history.replaceState(null, '', '#chat=' + s.id);
  loadSessions().catch(() => {});
  return state.session;
}

/**
 * Sends a turn. {@code edit} ({@code {keep, files}}) is an edited message's attachments: the stored ones it keeps
 * (sent as {@code attachment_ids}) and new files; without it the composer's attachments go.
 */
async function send(content, parentOverride, edit) {
  showError('');
  const { params, problems } = readParams();
  const env = readEnvelope();
  if (problems.length) {
    showError(problems.join(' '));
    return false;
  }
  if (env.problems.length) {
    // shown next to their fields (readEnvelope); the banner only points there
    showError('Check the advanced settings: ' + env.problems.join(' '));
    return false;
  }
  setBusy(true);
  let session;
  try {
    session = await ensureSession(params);
  } catch (e) {
    showError(e.message);
    setBusy(false);
    return false;
  }
  const path = currentPath();
  const parent = parentOverride !== undefined ? parentOverride : (path.length ? path[path.length - 1].id : null);
  const body = { content, idempotency_key: newKey(), ...env.envelope };
  if (parent) body.parent_id = parent;
  const files = edit ? edit.files.map((f) => ({ file: f, name: f.name || 'pasted-file', type: f.type || 'application/octet-stream', size: f.size }))
    : state.attachments;
  const kept = edit ? edit.keep : [];
  if (kept.length) body.attachment_ids = kept.map((a) => a.id);
  if (files.length) {
    try {
      body.attachments = await Promise.all(files.map(async (a) => ({
        name: a.name, mime_type: a.type, size_bytes: a.size, data_url: await readAsDataUrl(a.file) })));
    } catch (e) {
      $('attach-error').textContent = 'Could not read an attachment: ' + e.message;
      setBusy(false);
      return false;
    }
  }
  const pendingUser = { id: 'pending-' + body.idempotency_key, role: 'user', content, status: 'complete',
    parent_id: parent, created_at: new Date().toISOString(), envelope: Object.keys(env.envelope).length ? env.envelope : null,
    attachments: kept.map((a) => ({ name: a.name, mime_type: a.mime_type, size_bytes: a.size_bytes }))
      .concat(files.map((a) => ({ name: a.name, mime_type: a.type, size_bytes: a.size }))) };
  session.messages.push(pendingUser);
  state.sel[parent || 'root'] = pendingUser.id;
  renderAll();
  const controller = new AbortController();
  let res;
  try {
    res = await api('/v1/chat/sessions/' + session.id + '/turns', {
      method: 'POST', headers: { Accept: 'text/event-stream' }, body: JSON.stringify(body), signal: controller.signal });
  } catch (e) {
    dropPending(pendingUser);
    if (edit) {
      showError('Could not reach Parley: ' + e.message + '. Your edit is kept.');
      setBusy(false);
      return false;
    }
    if (body.attachments) $('attach-error').textContent = 'The attachments could not be sent: ' + e.message + '.';
    showError('Could not reach Parley: ' + e.message + '. Your message is back in the box.');
    $('input').value = content;
    setBusy(false);
    return false;
  }
  if (!res.ok) {
    const err = await failure(res);
    dropPending(pendingUser);
    if (edit) {
      showError('Your edit was not sent: ' + err.message);
      setBusy(false);
      return false;
    }
    $('input').value = content;
    showRefusal(err, !!body.attachments);
    setBusy(false);
    return false;
  }
  ENVELOPE_ERRORS.forEach((id) => setFieldError(id, ''));
  if (!edit) {
    $('attach-error').textContent = '';
    state.attachments = [];
    renderChips();
  }
  await runTurn(res, controller, pendingUser);
  return true;
}

/** A refused turn (400/413): next to the field the server's {@code param} names, else in the banner. */
function showRefusal(err, hadAttachments) {
  const param = (err.body && err.body.error && err.body.error.param) || (err.status === 413 && hadAttachments ? 'attachments' : null);
  const field = fieldFor(param);
  if (field && field.error === 'attach-error') {
    setFieldError('attach-error', (err.status === 413 ? 'The attachments are too large for the server: '
      : 'The server refused the attachments: ') + err.message.replace(/\.$/, '') + '. Remove them to send the text alone.');
  } else if (field) {
    showFieldError(param, err.message);
    showError('Your message was not sent: check the advanced settings (' + err.message + ').');
  } else {
    showError('Your message was not sent: ' + err.message);
    return;
  }
  const focus = $(field.focus);
  if (focus && !focus.disabled) focus.focus();
}

function dropPending(pendingUser) {
  if (!state.session) return;
  state.session.messages = state.session.messages.filter((m) => m !== pendingUser);
  delete state.sel[pendingUser.parent_id || 'root'];
  renderAll();
}

async function regenerate(m) {
  if (state.busy || !state.session) return;
  showError('');
  setBusy(true);
  const controller = new AbortController();
  try {
    const res = await api('/v1/chat/sessions/' + state.session.id + '/messages/' + m.id + '/regenerate', {
      method: 'POST', headers: { Accept: 'text/event-stream' }, signal: controller.signal });
    if (!res.ok) throw await failure(res);
    await runTurn(res, controller, null);
  } catch (e) {
    showError('Could not regenerate: ' + e.message);
    setBusy(false);
  }
}

async function editAndResend(m, text) {
  const content = (text || '').trim();
  if (!content || state.busy || !state.edit) return;
  const edit = state.edit;
  const attachments = { keep: edit.keep, files: edit.files };
  if (!m.parent_id) {
    // the first message has no parent to branch from: the edited chat starts afresh with the same model, and its
    // kept files (stored in the old chat) go as new uploads
    let carried;
    try {
      carried = await Promise.all(edit.keep.map(async (a) => {
        const res = await api('/v1/chat/sessions/' + state.session.id + '/attachments/' + a.id);
        if (!res.ok) throw await failure(res);
        return new File([await res.blob()], a.name, { type: a.mime_type || 'application/octet-stream' });
      }));
    } catch (e) {
      edit.error = 'The attachments could not be read back: ' + e.message;
      renderAll();
      return;
    }
    const model = state.session.model_name;
    const params = state.session.params;
    state.editing = null;
    state.edit = null;
    state.session = null;
    state.sel = {};
    renderAll();
    $('model').value = model;
    fillParams(params || {});
    await send(content, null, { keep: [], files: carried.concat(attachments.files) });
    return;
  }
  state.editing = null;
  state.edit = null;
  const sent = await send(content, m.parent_id, attachments);
  if (!sent && state.session && state.session.messages.some((x) => x.id === m.id)) {
    // refused: the edit box comes back as it was, with the server's reason in the banner
    state.editing = m.id;
    state.edit = { text: content, keep: attachments.keep, files: attachments.files, focus: true, error: '' };
    renderAll();
  }
}

/** Consumes a turn's SSE response (POST turns, regenerate, or an events replay). */
async function runTurn(res, controller, pendingUser) {
  const turnId = res.headers.get('X-Turn-Id');
  state.turn = { id: turnId, lastEventId: 0, userStopped: false, controller, ended: false };
  state.live = { start: performance.now(), first: null, tokens: 0 };
  const ticker = setInterval(showLiveMetrics, 250);
  showLiveMetrics();
  try {
    await readEvents(res, (ev) => onTurnEvent(ev, pendingUser));
  } catch (e) {
    if (!state.turn.ended && !state.turn.userStopped) await resume();
  } finally {
    clearInterval(ticker);
    finishTurn();
  }
}

function finishTurn() {
  state.turn = null;
  state.live = null;
  setBusy(false);
  renderAll();
  if (state.session) refreshSession().catch(() => {});
  loadSessions().catch(() => {});
}

async function refreshSession() {
  if (!state.session || state.busy) return;
  const s = await json('/v1/chat/sessions/' + state.session.id);
  if (state.busy || !state.session || state.session.id !== s.id) return;
  state.session = s;
  renderAll();
}

function assistant(id) {
  return state.session && state.session.messages.find((m) => m.id === id);
}

function onTurnEvent(ev, pendingUser) {
  const { name, data, id } = ev;
  if (id) state.turn.lastEventId = Number(id) || state.turn.lastEventId;
  if (name === 'message_start') {
    if (!state.turn.id) state.turn.id = data.id;
    if (pendingUser && data.parent_id) {
      const old = pendingUser.id;
      pendingUser.id = data.parent_id;
      for (const k of Object.keys(state.sel)) if (state.sel[k] === old) state.sel[k] = data.parent_id;
    }
    let m = assistant(data.id);
    if (!m) {
      m = { id: data.id, role: 'assistant', content: '', status: 'streaming', parent_id: data.parent_id,
        created_at: data.created_at };
      state.session.messages.push(m);
    } else {
      m.content = '';
      m.status = 'streaming';
    }
    m.reconnecting = false;
    state.sel[data.parent_id || 'root'] = m.id;
    renderAll();
  } else if (name === 'delta') {
    const m = assistant(data.id);
    if (!m) return;
    m.content += data.content;
    m.reconnecting = false;
    if (state.live) {
      if (state.live.first == null) state.live.first = performance.now();
      state.live.tokens += 1;
    }
    scheduleRender(m);
  } else if (name === 'metrics') {
    // server-side figures of the finished call
    showMetrics(data);
  } else if (name === 'error') {
    const m = assistant(data.id);
    if (m) { m.error = data.message; }
  } else if (name === 'message_end') {
    state.turn.ended = true;
    const m = assistant(data.id);
    if (m) {
      Object.assign(m, { content: data.content, status: data.status, metrics: data.metrics, usage: data.usage,
        error: data.error || m.error, reconnecting: false });
    }
    state.live = null;
    showMetrics(data.metrics);
    renderAll();
  }
}

/** The connection dropped mid-turn: follow the turn again from the last event seen (Last-Event-ID). */
async function resume() {
  const t = state.turn;
  const m = assistant(t.id);
  if (m) { m.reconnecting = true; updateMessageBody(m); }
  await follow(t.id, t.lastEventId, false);
}

async function follow(turnId, lastEventId, standalone) {
  if (standalone) {
    setBusy(true);
    state.turn = { id: turnId, lastEventId, userStopped: false, ended: false, controller: new AbortController() };
    state.live = { start: performance.now(), first: null, tokens: 0 };
  }
  const sessionId = state.session.id;
  let delay = 500;
  try {
    for (let attempt = 0; attempt < 30 && state.turn && !state.turn.ended; attempt++) {
      try {
        const res = await api('/v1/chat/sessions/' + sessionId + '/turns/' + turnId + '/events', {
          headers: { Accept: 'text/event-stream', 'Last-Event-ID': String(state.turn.lastEventId) },
          signal: state.turn.controller.signal });
        if (res.status === 404) break;
        if (res.ok) {
          await readEvents(res, (ev) => onTurnEvent(ev, null));
          if (state.turn.ended) break;
        }
      } catch (e) {
        if (e instanceof ApiError && (e.status === 401 || e.status === 499)) break;
        if (state.turn.userStopped) break;
      }
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 5000);
    }
  } finally {
    if (standalone) finishTurn();
  }
}

// Reads server-sent events from a fetch response body (EventSource cannot POST nor send headers).
async function readEvents(res, onEvent) {
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let idx;
    while ((idx = buffer.search(/\r?\n\r?\n/)) >= 0) {
      const block = buffer.slice(0, idx);
      buffer = buffer.slice(idx).replace(/^\r?\n\r?\n/, '');
      let name = 'message';
      let data = '';
      let id = null;
      for (const line of block.split(/\r?\n/)) {
        if (line.startsWith('event:')) name = line.slice(6).trim();
        else if (line.startsWith('id:')) id = line.slice(3).trim();
        else if (line.startsWith('data:')) data += (data ? '\n' : '') + line.slice(line.startsWith('data: ') ? 6 : 5);
      }
      if (data) {
        let parsed;
        try { parsed = JSON.parse(data); } catch (e) { continue; }
        onEvent({ name, data: parsed, id });
      }
    }
  }
}

async function stop() {
  const t = state.turn;
  if (!t || !state.session || !t.id) return;
  t.userStopped = true;
  try {
    const res = await api('/v1/chat/sessions/' + state.session.id + '/turns/' + t.id + '/stop', { method: 'POST' });
    if (!res.ok) throw await failure(res);
  } catch (e) {
    showError('Could not stop the answer: ' + e.message);
  }
}

// ---------------------------------------------------------------- view code

async function showCode(lang) {
  document.querySelectorAll('#code-dialog [role=tab]').forEach((t) => {
    const on = t.dataset.lang === lang;
    t.setAttribute('aria-selected', on ? 'true' : 'false');
    t.tabIndex = on ? 0 : -1;
  });
  const code = $('code');
  code.setAttribute('aria-labelledby', 'tab-' + lang);
  code.textContent = 'Loading…';
  if (!$('code-dialog').open) $('code-dialog').showModal();
  try {
    const res = await api('/v1/chat/sessions/' + state.session.id + '/code?lang=' + lang, { headers: { Accept: 'text/plain' } });
    if (!res.ok) throw await failure(res);
    code.textContent = await res.text();
  } catch (e) {
    code.textContent = 'Could not load the snippet: ' + e.message;
  }
}

// ---------------------------------------------------------------- wiring

function wire() {
  $('composer').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const content = $('input').value.trim();
    if (!content || state.busy) return;
    $('input').value = '';
    updateGauge();
    await send(content);
  });
  $('input').addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) { ev.preventDefault(); $('composer').requestSubmit(); }
    if (ev.key === 'Escape' && state.busy) { ev.preventDefault(); stop(); }
  });
  $('input').addEventListener('input', updateGauge);
  $('input').addEventListener('paste', (ev) => {
    const files = [...(ev.clipboardData ? ev.clipboardData.files : [])];
    if (files.length) { ev.preventDefault(); addFiles(files); }
  });
  const zone = $('composer');
  zone.addEventListener('dragover', (ev) => { ev.preventDefault(); $('drop-zone').classList.add('drag'); });
  zone.addEventListener('dragleave', () => $('drop-zone').classList.remove('drag'));
  zone.addEventListener('drop', (ev) => {
    ev.preventDefault();
    $('drop-zone').classList.remove('drag');
    addFiles([...(ev.dataTransfer ? ev.dataTransfer.files : [])]);
  });
  $('attach').addEventListener('click', () => $('file').click());
  $('file').addEventListener('change', () => { addFiles([...$('file').files]); $('file').value = ''; });
  $('stop').addEventListener('click', () => stop());
  $('new-chat').addEventListener('click', () => resetChat());
  $('new-with-other').addEventListener('click', () => openSwitchDialog());
  $('switch-cancel').addEventListener('click', () => $('switch-dialog').close());
  $('switch-empty').addEventListener('click', () => switchModel(false));
  $('switch-fork').addEventListener('click', () => switchModel(true));
  $('clear-all').addEventListener('click', () => clearAll());
  $('model').addEventListener('change', () => {
    localStorage.setItem('parley.model', $('model').value);
    state.constraints = null;
    loadConstraints($('model').value);
    updateComposer();
  });
  $('temperature').addEventListener('input', () => {
    $('temperature-value').textContent = Number($('temperature').value).toFixed(2);
  });
  $('max-tokens').addEventListener('input', updateGauge);
  $('system-prompt').addEventListener('input', updateGauge);
  $('overrides').addEventListener('blur', () => { if ($('overrides').value.trim()) readEnvelope(); });
  $('overrides').addEventListener('input', () => { setFieldError('overrides-error', ''); updateAdvancedSummary(); });
  $('correlation-id').addEventListener('input', () => { setFieldError('correlation-id-error', ''); updateAdvancedSummary(); });
  $('endpoint-mode').addEventListener('change', () => { setFieldError('endpoint-mode-error', ''); updateAdvancedSummary(); });
  $('metadata-rows').addEventListener('input', () => { setFieldError('metadata-error', ''); updateAdvancedSummary(); });
  $('add-metadata').addEventListener('click', () => addMetadataRow().querySelector('input').focus());
  $('why-no-models').addEventListener('click', showWhy);
  $('close-why').addEventListener('click', () => $('why-dialog').close());
  $('view-code').addEventListener('click', () => state.session && showCode('python'));
  document.querySelectorAll('#code-dialog [role=tab]').forEach((b) => {
    b.addEventListener('click', () => showCode(b.dataset.lang));
    b.addEventListener('keydown', (ev) => {
      const tabs = [...document.querySelectorAll('#code-dialog [role=tab]')];
      const i = tabs.indexOf(b);
      const d = ev.key === 'ArrowRight' ? 1 : ev.key === 'ArrowLeft' ? -1 : 0;
      if (d) { const next = tabs[(i + d + tabs.length) % tabs.length]; next.focus(); showCode(next.dataset.lang); }
    });
  });
  $('copy-code').addEventListener('click', () => copyText($('code').textContent, $('copy-code')));
  $('close-code').addEventListener('click', () => $('code-dialog').close());
  wireExportMenu();
  $('fullscreen').addEventListener('click', () => toggleFullscreen());
  document.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape' && document.body.classList.contains('fullscreen') && !document.querySelector('dialog[open]')) {
      toggleFullscreen(false);
    }
  });
  document.addEventListener('fullscreenchange', () => {
    if (!document.fullscreenElement && document.body.classList.contains('fullscreen')) toggleFullscreen(false);
  });
  $('toggle-sidebar').addEventListener('click', () => {
    const narrow = window.matchMedia('(max-width: 800px)').matches;
    const cls = narrow ? 'sidebar-open' : 'no-sidebar';
    document.body.classList.toggle(cls);
    const shown = narrow ? document.body.classList.contains('sidebar-open') : !document.body.classList.contains('no-sidebar');
    $('toggle-sidebar').setAttribute('aria-expanded', shown ? 'true' : 'false');
  });
  updateAdvancedSummary();
}

function toggleFullscreen(force) {
  const on = force !== undefined ? force : !document.body.classList.contains('fullscreen');
  document.body.classList.toggle('fullscreen', on);
  $('fullscreen').setAttribute('aria-pressed', on ? 'true' : 'false');
  $('fullscreen').textContent = on ? 'Exit full screen' : 'Full screen';
  try {
    if (on && document.documentElement.requestFullscreen && !document.fullscreenElement) {
      document.documentElement.requestFullscreen().catch(() => {});
    } else if (!on && document.fullscreenElement) {
      document.exitFullscreen().catch(() => {});
    }
  } catch (e) { /* the page-level full screen is enough */ }
  if (on) {
    const exit = el('button', { type: 'button', id: 'exit-fullscreen', class: 'quiet', text: 'Exit full screen',
      onclick: () => toggleFullscreen(false) });
    if (!$('exit-fullscreen')) $('composer').querySelector('.composer-bar').prepend(exit);
  } else if ($('exit-fullscreen')) $('exit-fullscreen').remove();
}

async function start() {
  // the chat the address asks for, read before anything is awaited: a chat the user starts meanwhile sets the
  // address itself and must not be reopened (that would reset the running turn and the parameters)
  const requested = /#chat=([0-9a-f-]+)/i.exec(location.hash);
  wire();
  try {
    state.me = await json('/v1/me');
    $('user').textContent = state.me.user;
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 401)) showError('Could not load your profile: ' + e.message);
  }
  await loadModels();
  followModelChanges();
  setInterval(() => { if (!modelStreamLive) loadModels().catch(() => {}); }, MODELS_POLL_MS);
  await loadSessions().catch((e) => showError('Could not load your chats: ' + e.message));
  if (requested && !state.session) {
    await openSession(requested[1]).catch(() => history.replaceState(null, '', location.pathname));
  }
  renderAll();
  $('input').focus();
  // the page has its profile, models, chats and the chat of the address: what the browser tests wait for
  document.body.dataset.ready = 'true';
}

start();
