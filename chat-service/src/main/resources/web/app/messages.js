// The messages of the open chat: the displayed branch, each message with its tools, versions, details and
// attachments, the edit box, and the metrics bar.
import { json } from './api.js';
import { newestPathSelection, pathOf, withOlderPage } from './branches.js';
import { closeExportMenu, forkOrShow } from './chat.js';
import { attachmentProblem, editAndResend, updateGauge } from './composer.js';
import { envelopeEntries } from './envelope.js';
import { renderMarkdown } from './markdown.js';
import { applyConstraints, renderModels } from './models.js';
import { state } from './store.js';
import { assistant, regenerate } from './turn.js';
import { $, copyText, el, humanSize, nf } from './util.js';

export function childrenOf(key) {
  return (state.session ? state.session.messages : []).filter((m) => (m.parent_id || 'root') === key);
}

/**
 * The displayed branch: from the root (or, while older pages are not loaded, the oldest loaded message on it), the
 * selected (default: newest) child at each step.
 */
export function currentPath() {
  return pathOf(state.session ? state.session.messages : [], state.sel);
}

let loadingEarlier = null;

/**
 * Loads the page of messages before the oldest loaded one (the "Load earlier messages" button, or scrolling to the
 * top), keeping the messages the reader sees where they are.
 */
export function loadEarlier() {
  const s = state.session;
  const next = s && s.messages_page && s.messages_page.next;
  if (!next || loadingEarlier) return loadingEarlier;
  loadingEarlier = json(next).then((page) => {
    if (state.session !== s) return;
    const box = $('messages');
    const fromEnd = box.scrollHeight - box.scrollTop;
    state.session = withOlderPage(s, page);
    // the path to the newest turn continues into the older page (a choice the user made stays)
    state.sel = { ...newestPathSelection(state.session.messages), ...state.sel };
    renderAll();
    box.scrollTop = box.scrollHeight - fromEnd;
  }).finally(() => { loadingEarlier = null; });
  return loadingEarlier;
}

/** Scrolling to the top of a long chat loads its earlier messages. */
export function wireMessages() {
  const box = $('messages');
  box.addEventListener('scroll', () => {
    if (box.scrollTop < 40 && state.session && state.session.messages_page && state.session.messages_page.next) {
      loadEarlier().catch(() => {});
    }
  }, { passive: true });
}

export function renderAll() {
  const box = $('messages');
  const stick = atBottom(box);
  box.innerHTML = '';
  const path = currentPath();
  if (!path.length) {
    box.append(el('div', { id: 'welcome', class: 'welcome' },
      el('h1', { text: 'What shall we try?' }),
      el('p', { class: 'muted', text: 'Pick a model, set the parameters, and send a message. '
        + 'Enter sends, Shift+Enter starts a new line.' })));
  }
  const earlier = state.session && state.session.messages_page && state.session.messages_page.next;
  if (earlier) {
    box.append(el('button', { type: 'button', id: 'load-earlier', class: 'load-earlier', text: 'Load earlier messages',
      onclick: () => loadEarlier().catch(() => {}) }));
  }
  for (const m of path) box.append(renderMessage(m));
  if (stick) box.scrollTop = box.scrollHeight;
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

export function versionNav(m) {
  const siblings = childrenOf(m.parent_id || 'root').filter((x) => x.role === m.role);
  if (siblings.length < 2) return null;
  const i = siblings.findIndex((x) => x.id === m.id);
  const go = (d) => {
    const next = siblings[i + d];
    if (!next || state.busy) return;
    state.sel[m.parent_id || 'root'] = next.id;
    state.live = null;
    keepSelection();
    renderAll();
  };
  return el('span', { class: 'versions', role: 'group', 'aria-label': 'Versions' },
    el('button', { type: 'button', 'aria-label': 'Previous version', text: '‹', disabled: i === 0 || null,
      onclick: () => go(-1) }),
    el('span', { class: 'version-label', text: (i + 1) + '/' + siblings.length }),
    el('button', { type: 'button', 'aria-label': 'Next version', text: '›',
      disabled: i === siblings.length - 1 || null, onclick: () => go(1) }));
}

export function metricsText(x) {
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
export function messageDetails(m) {
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

export const openDetails = new Set();

export function attachmentLabel(a) {
  return (a.mime_type || 'application/octet-stream').split('/').pop();
}

/** The attachments stored with a user message: chips that download the bytes (pending ones: plain chips). */
export function messageAttachments(m) {
  const list = m.attachments || [];
  if (!list.length) return null;
  const box = el('ul', { class: 'msg-attachments', 'aria-label': 'Attachments' });
  for (const a of list) {
    const inner = [el('span', { class: 'chip-type', text: attachmentLabel(a) }), el('span', { class: 'chip-name', text: a.name }),
      el('span', { class: 'muted', text: humanSize(a.size_bytes || 0) })];
    const described = a.name + ', ' + (a.mime_type || 'unknown type') + ', ' + humanSize(a.size_bytes || 0);
    const href = a.id && state.session ? '/v1/chat/sessions/' + state.session.id + '/attachments/' + a.id : null;
    // a picture shows as a thumbnail (same origin: the CSP's img-src 'self'); decorative, the chip says what it is
    if (href && THUMBNAIL_TYPES.test(a.mime_type || '')) {
      inner.unshift(el('img', { class: 'thumb', src: href, alt: '', loading: 'lazy', width: 48, height: 48 }));
    }
    const chip = href
      ? el('a', { class: 'chip chip-link', href, download: a.name, 'aria-label': 'Download ' + described,
        title: 'Download ' + a.name }, ...inner)
      : el('span', { class: 'chip', 'aria-label': described }, ...inner);
    box.append(el('li', {}, chip));
  }
  return box;
}

export function statusLine(m) {
  if (m.status === 'error') {
    return el('p', { class: 'status-line error', role: 'alert',
      text: 'The answer failed: ' + (m.error || 'generation failed') + (m.content ? ' (the partial answer is kept above)' : '') });
  }
  if (m.status === 'stopped') return el('p', { class: 'status-line stopped', text: 'Stopped — the partial answer is kept.' });
  if (m.reconnecting) return el('p', { class: 'status-line stopped', text: 'Connection lost — reconnecting…' });
  return null;
}

export function renderMessage(m) {
  const div = el('div', { class: 'msg ' + m.role + (m.status === 'error' ? ' error' : ''), 'data-id': m.id });
  div.append(el('span', { class: 'who', text: m.role === 'user' ? (state.me ? state.me.user : 'You') : writer(m) }));
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


/** Opens the edit box of a user message: its text, and its stored attachments kept unless removed. */
export function startEdit(m) {
  state.editing = m.id;
  state.edit = { text: m.content, keep: (m.attachments || []).filter((a) => a.id), files: [], focus: true, error: '' };
  renderAll();
}

export function cancelEdit() {
  state.editing = null;
  state.edit = null;
  renderAll();
}

export function editChip(a, type, size, onRemove) {
  return el('li', {}, el('span', { class: 'chip' },
    el('span', { class: 'chip-type', text: (type || 'application/octet-stream').split('/').pop() }),
    el('span', { class: 'chip-name', text: a.name }),
    el('span', { class: 'muted', text: humanSize(size || 0) }),
    el('button', { type: 'button', 'aria-label': 'Remove ' + a.name, text: '×', onclick: onRemove })));
}

export function editBox(m) {
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
  if (!m.parent_id) {
    // said before it happens: the first message has nothing to branch from, so its edit is a new chat
    const note = el('p', { class: 'muted small edit-note', id: 'edit-note-' + m.id,
      text: 'This is the chat’s first message: saving starts a new chat with your edit. This chat stays in the '
        + 'history as it is.' });
    ta.setAttribute('aria-describedby', note.id);
    box.append(note);
  }
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
export function addEditFiles(files) {
  const edit = state.edit;
  if (!edit) return;
  edit.error = '';
  for (const f of files) {
    const count = edit.keep.length + edit.files.length;
    const bytes = edit.keep.reduce((n, a) => n + (a.size_bytes || 0), 0) + edit.files.reduce((n, x) => n + x.size, 0);
    const problem = attachmentProblem(count, bytes, f);
    if (problem) edit.error = problem;
    else edit.files.push(f);
  }
  renderAll();
}

export function updateMessageBody(m) {
  const div = document.querySelector('.msg[data-id="' + CSS.escape(m.id) + '"]');
  if (!div) { renderAll(); return; }
  const box = $('messages');
  const stick = atBottom(box);
  div.replaceWith(renderMessage(m));
  if (stick) box.scrollTop = box.scrollHeight;
}

export const THUMBNAIL_TYPES = /^image\/(png|jpeg|gif|webp)$/i;

let renderPending = null;

export function scheduleRender(m) {
  if (renderPending) return;
  renderPending = requestAnimationFrame(() => { renderPending = null; updateMessageBody(m); updateGauge(); });
}


export function showMetrics(m) {
  const bar = $('metrics');
  if (!m) { bar.textContent = ''; return; }
  const parts = [];
  if (m.ttft_ms != null) parts.push('TTFT ' + Math.round(m.ttft_ms) + ' ms');
  if (m.tokens_per_sec != null) parts.push(Number(m.tokens_per_sec).toFixed(1) + ' tok/s');
  if (m.completion_tokens != null) parts.push(nf.format(m.completion_tokens) + ' tokens');
  if (m.latency_ms != null) parts.push('latency ' + Math.round(m.latency_ms) + ' ms');
  bar.textContent = parts.join(' · ');
}

export function showLiveMetrics() {
  const l = state.live;
  if (!l) return;
  const now = performance.now();
  const parts = [];
  if (l.joined) {
    // joined after a reload: the events so far came as one replay, so no TTFT or speed of this page's own
    parts.push(nf.format(l.tokens) + ' tokens so far', 'followed after a reload');
    $('metrics').replaceChildren(el('span', { class: 'live', text: 'Live ' }), parts.join(' · '));
    return;
  }
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

/**
 * Whether the reader is at the end of the messages (within a line): only then does new text scroll them, so someone
 * who scrolled up to read is left where they are while an answer streams in.
 */
export function atBottom(box) {
  return box.scrollHeight - box.scrollTop - box.clientHeight < 48;
}

/** Shows the end of the messages (a chat opened, a message sent). */
export function scrollToEnd() {
  const box = $('messages');
  box.scrollTop = box.scrollHeight;
}

const SELECTION_KEY = 'parley.branch.';

/** The versions this browser last chose in a chat (version arrows), or none. */
export function keptSelection(sessionId) {
  try {
    return JSON.parse(localStorage.getItem(SELECTION_KEY + sessionId) || 'null');
  } catch (e) {
    return null;
  }
}

/** Keeps the open chat's chosen versions, so reopening it shows the branch the user was on. */
export function keepSelection() {
  if (!state.session) return;
  const real = Object.fromEntries(Object.entries(state.sel).filter(([k, v]) => !String(k).startsWith('pending-')
    && !String(v).startsWith('pending-')));
  try {
    localStorage.setItem(SELECTION_KEY + state.session.id, JSON.stringify(real));
  } catch (e) { /* storage full or off: the newest turn's path is shown next time */ }
}

/** The model that wrote an answer: the one a carried-over answer names (metrics.model), else this chat's. */
export function writer(m) {
  if (m.metrics && m.metrics.model) return m.metrics.model;
  return state.session ? state.session.model_name : 'Assistant';
}
