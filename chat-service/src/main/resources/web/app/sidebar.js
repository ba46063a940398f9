// The history sidebar: the user's chats, rename, delete, clear all.
import { json } from './api.js';
import { openSession, resetChat } from './chat.js';
import { showError } from './notices.js';
import { state } from './store.js';
import { $, el, relTime } from './util.js';

let listed = []; // the chats of the last load, newest first: the search filters them without asking again

export async function loadSessions() {
  const body = await json('/v1/chat/sessions');
  listed = body.data;
  renderSessions();
}

/** Today, Yesterday, Previous 7 days, Older: by the chat's last change, in this browser's time zone. */
export function dayGroup(iso, now = new Date()) {
  const t = new Date(iso);
  const startOfToday = new Date(now.getFullYear(), now.getMonth(), now.getDate()).getTime();
  const day = 24 * 3600 * 1000;
  if (t.getTime() >= startOfToday) return 'Today';
  if (t.getTime() >= startOfToday - day) return 'Yesterday';
  if (t.getTime() >= startOfToday - 7 * day) return 'Previous 7 days';
  return 'Older';
}

/**
 * The history list: one row per chat, grouped by day, filtered by the search box. A row is one Tab stop (its title
 * button); its Rename and Delete buttons sit beside the title, never over it, and are reached with the arrow keys
 * (Right/Left), or F2 and Delete on the row; Up/Down move between rows.
 */
export function renderSessions() {
  const ul = $('sessions');
  const query = ($('session-search').value || '').trim().toLowerCase();
  const shown = listed.filter((s) => !query || (s.title || 'New chat').toLowerCase().includes(query)
    || (s.model_name || '').toLowerCase().includes(query));
  const hadFocus = ul.contains(document.activeElement) ? document.activeElement.closest('li[data-id]') : null;
  const focusId = hadFocus && hadFocus.dataset.id;
  ul.innerHTML = '';
  $('sessions-empty').hidden = listed.length > 0;
  $('sessions-none-found').hidden = !(listed.length > 0 && shown.length === 0);
  $('clear-all').disabled = listed.length === 0 || state.busy;
  let group = null;
  for (const s of shown) {
    const g = dayGroup(s.updated_at || s.created_at);
    if (g !== group) {
      group = g;
      ul.append(el('li', { class: 'session-group', role: 'presentation', text: g }));
    }
    const active = state.session && state.session.id === s.id;
    const li = el('li', { class: 'session' + (active ? ' active' : ''), 'data-id': s.id });
    const title = s.title || 'New chat';
    if (state.renameId === s.id) {
      const input = el('input', { type: 'text', class: 'rename-input', 'aria-label': 'New title', value: title });
      input.addEventListener('keydown', async (ev) => {
        if (ev.key === 'Enter') { ev.preventDefault(); await rename(s.id, input.value); }
        if (ev.key === 'Escape') { state.renameId = null; renderSessions(); }
      });
      input.addEventListener('blur', () => { if (state.renameId === s.id) rename(s.id, input.value); });
      li.append(input);
      ul.append(li);
      setTimeout(() => { input.focus(); input.select(); });
      continue;
    }
    const open = el('button', { type: 'button', class: 'session-open', 'aria-current': active ? 'true' : null,
      title, 'aria-keyshortcuts': 'F2 Delete' },
    el('span', { class: 'session-title', text: title }),
    el('span', { class: 'session-meta', text: s.model_name + ' · ' + relTime(s.updated_at || s.created_at) }));
    open.addEventListener('click', () => {
      closeNarrowSidebar();
      openSession(s.id).catch((e) => showError(e.message));
    });
    const renameButton = el('button', { type: 'button', class: 'session-action', tabindex: '-1',
      'aria-label': 'Rename ' + title, title: 'Rename', text: '✎', onclick: () => { state.renameId = s.id; renderSessions(); } });
    const deleteButton = el('button', { type: 'button', class: 'session-action', tabindex: '-1',
      'aria-label': 'Delete ' + title, title: 'Delete', text: '×', onclick: () => deleteSession(s.id, title) });
    const buttons = [open, renameButton, deleteButton];
    li.addEventListener('keydown', (ev) => {
      const i = buttons.indexOf(document.activeElement);
      if (i < 0) return;
      const rows = [...ul.querySelectorAll('li[data-id] .session-open')];
      const r = rows.indexOf(open);
      if (ev.key === 'ArrowRight' && i < 2) { ev.preventDefault(); buttons[i + 1].focus(); }
      else if (ev.key === 'ArrowLeft' && i > 0) { ev.preventDefault(); buttons[i - 1].focus(); }
      else if (ev.key === 'ArrowDown' && rows[r + 1]) { ev.preventDefault(); rows[r + 1].focus(); }
      else if (ev.key === 'ArrowUp' && r > 0) { ev.preventDefault(); rows[r - 1].focus(); }
      else if (ev.key === 'F2') { ev.preventDefault(); renameButton.click(); }
      else if (ev.key === 'Delete') { ev.preventDefault(); deleteButton.click(); }
    });
    li.append(open, el('span', { class: 'session-actions' }, renameButton, deleteButton));
    ul.append(li);
    if (focusId === s.id) open.focus();
  }
}

/** At a phone's width the sidebar covers the chat: it closes once a chat is picked. */
export function closeNarrowSidebar() {
  if (!document.body.classList.contains('sidebar-open')) return;
  document.body.classList.remove('sidebar-open');
  $('toggle-sidebar').setAttribute('aria-expanded', 'false');
}

/** The search box filters the history as it is typed. */
export function wireSidebar() {
  $('session-search').addEventListener('input', renderSessions);
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

