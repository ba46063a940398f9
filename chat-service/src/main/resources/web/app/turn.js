// The turn stream: a running answer's events applied to the chat, resumed from Last-Event-ID after a drop, stopped,
// regenerated.
import { api, ApiError, failure, json } from './api.js';
import { keepOlder } from './branches.js';
import { setBusy } from './composer.js';
import { keepSelection, renderAll, scheduleRender, showLiveMetrics, showMetrics, updateMessageBody } from './messages.js';
import { showError } from './notices.js';
import { loadSessions } from './sidebar.js';
import { readEvents } from './sse.js';
import { state } from './store.js';

export async function regenerate(m) {
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

/** Consumes a turn's SSE response (POST turns, regenerate, or an events replay). */
export async function runTurn(res, controller, pendingUser) {
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

export function finishTurn() {
  state.turn = null;
  state.live = null;
  setBusy(false);
  renderAll();
  if (state.session) refreshSession().catch(() => {});
  loadSessions().catch(() => {});
}

export async function refreshSession() {
  if (!state.session || state.busy) return;
  const s = await json('/v1/chat/sessions/' + state.session.id);
  if (state.busy || !state.session || state.session.id !== s.id) return;
  state.session = keepOlder(state.session, s);
  renderAll();
}

export function assistant(id) {
  return state.session && state.session.messages.find((m) => m.id === id);
}

export function onTurnEvent(ev, pendingUser) {
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
    keepSelection();
    renderAll();
  }
}

/** The connection dropped mid-turn: follow the turn again from the last event seen (Last-Event-ID). */
export async function resume() {
  const t = state.turn;
  const m = assistant(t.id);
  if (m) { m.reconnecting = true; updateMessageBody(m); }
  await follow(t.id, t.lastEventId, false);
}

export async function follow(turnId, lastEventId, standalone) {
  if (standalone) {
    setBusy(true);
    state.turn = { id: turnId, lastEventId, userStopped: false, ended: false, controller: new AbortController() };
    state.live = { start: performance.now(), first: null, tokens: 0, joined: true };
  }
  // the live figures tick for a turn followed after a reload too (they count from when this page joined it)
  const ticker = standalone ? setInterval(showLiveMetrics, 250) : null;
  if (standalone) showLiveMetrics();
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
    if (ticker) clearInterval(ticker);
    if (standalone) finishTurn();
  }
}

export async function stop() {
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

