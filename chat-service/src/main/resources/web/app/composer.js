// The composer: parameters, attachments, the context gauge, and sending a turn (refusals shown at their field).
import { api, ApiError, failure, json } from './api.js';
import { limits } from './config.js';
import { ENVELOPE_ERRORS, fieldFor, readEnvelope, setFieldError, showFieldError } from './envelope.js';
import { currentPath, renderAll, scrollToEnd } from './messages.js';
import { currentConstraints } from './models.js';
import { showError, showNotice } from './notices.js';
import { loadSessions } from './sidebar.js';
import { state, store } from './store.js';
import { runTurn, stop } from './turn.js';
import { $, el, estimateTokens, humanSize, newKey, nf, sizeLimit } from './util.js';

export function fillParams(p) {
  const t = p.temperature != null ? p.temperature : 0.7;
  $('temperature').value = t;
  $('temperature-value').textContent = Number(t).toFixed(2);
  $('max-tokens').value = p.max_tokens != null ? p.max_tokens : '';
  $('top-p').value = p.top_p != null ? p.top_p : '';
  $('system-prompt').value = p.system_prompt || '';
}

export function readParams() {
  const problems = [];
  const p = { temperature: Number($('temperature').value) };
  const mt = $('max-tokens').value.trim();
  const c = currentConstraints();
  if (mt) {
    const n = Number(mt);
    if (!Number.isInteger(n) || n < 1 || (c.max_model_len && n > c.max_model_len)) {
      problems.push({ param: 'max_tokens', message: 'Max tokens must be a whole number from 1'
        + (c.max_model_len ? ' to ' + c.max_model_len + ' (the model’s context)' : '') + '.' });
    }
    p.max_tokens = n;
  } else p.max_tokens = null;
  const tp = $('top-p').value.trim();
  if (tp) {
    const n = Number(tp);
    if (!(n > 0 && n <= 1)) problems.push({ param: 'top_p', message: 'Top-p must be greater than 0 and at most 1.' });
    p.top_p = n;
  } else p.top_p = null;
  const sp = $('system-prompt').value;
  p.system_prompt = sp.trim() ? sp : null;
  return { params: p, problems };
}

export function sameParams(a, b) {
  const norm = (p) => JSON.stringify({ temperature: p.temperature ?? 0.7, max_tokens: p.max_tokens ?? null,
    top_p: p.top_p ?? null, system_prompt: p.system_prompt ?? null });
  return norm(a || {}) === norm(b || {});
}

export function updateComposer() {
  const hasModel = !!(state.session || $('model').value);
  $('send').disabled = state.busy || !hasModel;
  $('stop').hidden = !state.busy;
  $('new-chat').disabled = state.busy;
  $('clear-all').disabled = state.busy || $('sessions').children.length === 0;
}

/** A turn starts or ends: the composer (subscribed in wireComposer) and any other subscriber follow. */
export function setBusy(busy) {
  store.set({ busy });
}

/**
 * Why {@code file} cannot join {@code count} attachments of {@code bytes} bytes under chat-service's limits
 * (config.js), or null.
 */
export function attachmentProblem(count, bytes, file) {
  const lim = limits();
  const name = file.name || 'pasted file';
  if (count >= lim.maxAttachments) {
    return '“' + name + '” was not added: at most ' + lim.maxAttachments + ' attachments per message.';
  }
  if (file.size > lim.maxAttachmentBytes || bytes + file.size > lim.maxAttachmentBytes) {
    return '“' + name + '” (' + humanSize(file.size) + ') was not added: attachments are limited to '
      + sizeLimit(lim.maxAttachmentBytes) + ' per message' + (file.size <= lim.maxAttachmentBytes ? ' in total' : '') + '.';
  }
  return null;
}

export async function addFiles(files) {
  $('attach-error').textContent = '';
  for (const f of files) {
    const problem = attachmentProblem(state.attachments.length, state.attachments.reduce((n, a) => n + a.size, 0), f);
    if (problem) {
      $('attach-error').textContent = problem;
      continue;
    }
    state.attachments.push({ id: newKey(), file: f, name: f.name || 'pasted-file', type: f.type || 'application/octet-stream', size: f.size });
  }
  renderChips();
}

export function renderChips() {
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

export function readAsDataUrl(file) {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(r.result);
    r.onerror = () => reject(r.error);
    r.readAsDataURL(file);
  });
}

export async function ensureSession(params) {
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
export async function send(content, parentOverride, edit) {
  showError('');
  setFieldError('max-tokens-error', '');
  setFieldError('top-p-error', '');
  const { params, problems } = readParams();
  const env = readEnvelope();
  // refused in the page: each problem at its field (readEnvelope shows its own), the first such field focused
  problems.forEach((p) => showFieldError(p.param, p.message));
  const firstParam = problems.length ? problems[0].param : env.problems.length ? env.problems[0].param : null;
  if (firstParam) {
    const field = fieldFor(firstParam);
    const focus = field && $(field.focus);
    if (focus && !focus.disabled) focus.focus();
    return false;
  }
  setBusy(true);
  let session;
  try {
    session = await ensureSession(params);
  } catch (e) {
    showError(e instanceof ApiError ? 'Your message was not sent: ' + e.message : unreachable(e) + ' Your message is back in the box.');
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
  scrollToEnd();
  const controller = new AbortController();
  let res;
  try {
    res = await api('/v1/chat/sessions/' + session.id + '/turns', {
      method: 'POST', headers: { Accept: 'text/event-stream' }, body: JSON.stringify(body), signal: controller.signal });
  } catch (e) {
    dropPending(pendingUser);
    if (edit) {
      showError(unreachable(e) + ' Your edit is kept.');
      setBusy(false);
      return false;
    }
    if (body.attachments) $('attach-error').textContent = 'The attachments could not be sent: Parley could not be reached.';
    showError(unreachable(e) + ' Your message is back in the box.');
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
export function showRefusal(err, hadAttachments) {
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

export function dropPending(pendingUser) {
  if (!state.session) return;
  state.session.messages = state.session.messages.filter((m) => m !== pendingUser);
  delete state.sel[pendingUser.parent_id || 'root'];
  renderAll();
}

export async function editAndResend(m, text) {
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
    const title = state.session.title || 'New chat';
    state.editing = null;
    state.edit = null;
    state.session = null;
    state.sel = {};
    renderAll();
    $('model').value = model;
    fillParams(params || {});
    showNotice('A new chat started from your edit of the first message; “' + title + '” is unchanged in the history.');
    const sent = await send(content, null, { keep: [], files: carried.concat(attachments.files) });
    if (!sent) showNotice(null);
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

export function updateGauge() {
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
    // what came after it (the question being answered, the answer streaming in) is estimated until its metrics come
    const after = path.slice(path.indexOf(lastAnswer) + 1);
    if (after.length) {
      used += after.reduce((n, m) => n + estimateTokens(m.content) + 4, 0);
      estimated = true;
    }
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


/** The composer's controls: Enter sends, Escape stops, paste and drop attach, the gauge follows what is typed. */
export function wireComposer() {
  $('composer').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const typed = $('input').value;
    const content = typed.trim();
    if (!content || state.busy) return;
    $('input').value = '';
    updateGauge();
    const sent = await send(content);
    // refused or failed before the turn started: what was typed is back in the box, as it was typed
    if (!sent && !$('input').value) { $('input').value = typed; updateGauge(); }
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
  $('temperature').addEventListener('input', () => {
    $('temperature-value').textContent = Number($('temperature').value).toFixed(2);
  });
  $('max-tokens').addEventListener('input', () => { setFieldError('max-tokens-error', ''); updateGauge(); });
  $('top-p').addEventListener('input', () => setFieldError('top-p-error', ''));
  $('system-prompt').addEventListener('input', updateGauge);
  store.subscribe(updateComposer, ['busy']);
}

/** What a failed fetch means for a person (the browser's own text, "Failed to fetch", says nothing). */
export function unreachable(e) {
  if (e && e.name === 'AbortError') return 'The request was cancelled.';
  return navigator.onLine === false ? 'You are offline: Parley could not be reached.'
    : 'Parley could not be reached (the network or the server is down).';
}
