// One chat: open, reset, fork, switch to another model, export.
import { ApiError, json } from './api.js';
import { newestPathSelection, validSelection } from './branches.js';
import { fillParams, updateComposer } from './composer.js';
import { fillEnvelope } from './envelope.js';
import { currentPath, keptSelection, renderAll, scrollToEnd } from './messages.js';
import { applyConstraints, loadConstraints } from './models.js';
import { showError, showNotice } from './notices.js';
import { clearAll, loadSessions } from './sidebar.js';
import { state } from './store.js';
import { follow } from './turn.js';
import { $, el } from './util.js';

export async function openSession(id, notice) {
  const s = await json('/v1/chat/sessions/' + id);
  state.session = s;
  // the branch this browser showed last, else the path to the newest turn
  state.sel = { ...newestPathSelection(s.messages || []), ...validSelection(s.messages || [], keptSelection(s.id)) };
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
  scrollToEnd();
  loadSessions().catch(() => {});
  const path = currentPath();
  const last = path[path.length - 1];
  if (last && last.role === 'assistant' && last.status === 'streaming') {
    // a turn still running (page reloaded or network dropped): replay its events and follow it to the end
    follow(last.id, 0, true);
  }
}

export function resetChat() {
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

/**
 * Fork: a new chat holding the displayed conversation up to {@code messageId} (default: the last message shown),
 * with the same model or {@code model}. The original chat is left as it is.
 */
export async function fork(messageId, model) {
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

export async function forkOrShow(messageId) {
  try {
    await fork(messageId, null);
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 401)) showError('Could not fork the chat: ' + e.message);
  }
}

/** The lock banner's "new chat with another model": carry the conversation over (fork) or start empty. */
export function openSwitchDialog() {
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

export async function switchModel(carryOver) {
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


export function exportAs(format) {
  closeExportMenu(true);
  if (!state.session) return;
  const a = el('a', { href: '/v1/chat/sessions/' + state.session.id + '/export?format=' + format, download: '' });
  document.body.append(a);
  a.click();
  a.remove();
}

export function exportItems() {
  return [...document.querySelectorAll('#export-menu [role=menuitem]')];
}

export function openExportMenu(focusIndex = 0) {
  $('export-menu').hidden = false;
  $('export').setAttribute('aria-expanded', 'true');
  const items = exportItems();
  items[(focusIndex + items.length) % items.length].focus();
}

export function closeExportMenu(returnFocus) {
  if ($('export-menu').hidden) return;
  $('export-menu').hidden = true;
  $('export').setAttribute('aria-expanded', 'false');
  if (returnFocus) $('export').focus();
}

export function wireExportMenu() {
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

/** New Chat, the lock banner's "new chat with another model" dialog, Clear All and the Export menu. */
export function wireChat() {
  $('new-chat').addEventListener('click', () => resetChat());
  $('new-with-other').addEventListener('click', () => openSwitchDialog());
  $('switch-cancel').addEventListener('click', () => $('switch-dialog').close());
  $('switch-empty').addEventListener('click', () => switchModel(false));
  $('switch-fork').addEventListener('click', () => switchModel(true));
  $('clear-all').addEventListener('click', () => clearAll());
  wireExportMenu();
}
