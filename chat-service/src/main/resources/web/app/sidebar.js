// The history sidebar: the user's chats, rename, delete, clear all.
import { json } from './api.js';
import { openSession, resetChat } from './chat.js';
import { showError } from './notices.js';
import { state } from './store.js';
import { $, el, relTime } from './util.js';
export async function loadSessions() {
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

export async function rename(id, title) {
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

export function confirmDialog(text, okLabel) {
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

export async function deleteSession(id, title) {
  if (!(await confirmDialog('Delete the chat “' + title + '”? This cannot be undone.', 'Delete'))) return;
  try {
    await json('/v1/chat/sessions/' + id, { method: 'DELETE' });
  } catch (e) { showError('Could not delete the chat: ' + e.message); }
  if (state.session && state.session.id === id) resetChat();
  await loadSessions();
}

export async function clearAll() {
  if (!(await confirmDialog('Delete all your chats? This cannot be undone.', 'Delete all'))) return;
  try {
    await json('/v1/chat/sessions', { method: 'DELETE' });
  } catch (e) { showError('Could not clear the history: ' + e.message); }
  resetChat();
  await loadSessions();
}

