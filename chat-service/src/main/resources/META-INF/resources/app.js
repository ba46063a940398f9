// Parley playground (first version): plain JS, no build step. Talks to chat-service's /v1 API with the
// session cookie; X-Requested-With makes an expired login answer 401/499 instead of a redirect.
(() => {
  'use strict';
  const $ = (id) => document.getElementById(id);
  const state = { session: null, turnId: null, busy: false };

  async function api(path, options = {}) {
    const res = await fetch(path, {
      credentials: 'same-origin',
      ...options,
      headers: { 'X-Requested-With': 'JavaScript', 'Content-Type': 'application/json', ...(options.headers || {}) },
    });
    if (res.status === 401 || res.status === 499) {
      banner('Your login has expired. <a href="/">Log in again</a>.', true);
      throw new Error('login expired');
    }
    return res;
  }

  async function json(path, options) {
    const res = await api(path, options);
    const body = await res.json().catch(() => ({}));
    if (!res.ok) {
      throw new Error((body.error && body.error.message) || ('HTTP ' + res.status));
    }
    return body;
  }

  function banner(html, isError) {
    const b = $('banner');
    b.innerHTML = html;
    b.className = 'banner' + (isError ? ' error' : '');
    b.hidden = !html;
  }

  function addMessage(role, content, status, error) {
    const div = document.createElement('div');
    div.className = 'msg ' + role + (status === 'error' ? ' error' : '');
    const text = document.createElement('span');
    text.className = 'text';
    text.textContent = content;
    div.appendChild(text);
    const s = document.createElement('span');
    s.className = 'status';
    div.appendChild(s);
    setStatus(div, status, error);
    $('messages').appendChild(div);
    $('messages').scrollTop = $('messages').scrollHeight;
    return div;
  }

  function setStatus(div, status, error) {
    const s = div.querySelector('.status');
    div.classList.toggle('error', status === 'error');
    s.textContent = status === 'error' ? 'Error: ' + (error || 'generation failed') + ' (partial answer kept)'
      : status === 'stopped' ? 'Stopped' : status === 'streaming' ? '…' : '';
  }

  function showMetrics(m) {
    if (!m) { $('metrics').textContent = ''; return; }
    const parts = [];
    if (m.ttft_ms != null) parts.push('TTFT ' + Math.round(m.ttft_ms) + ' ms');
    if (m.tokens_per_sec != null) parts.push(m.tokens_per_sec.toFixed(1) + ' tok/s');
    if (m.completion_tokens != null) parts.push(m.completion_tokens + ' tokens');
    if (m.latency_ms != null) parts.push('latency ' + Math.round(m.latency_ms) + ' ms');
    $('metrics').textContent = parts.join(' · ');
  }

  async function loadUser() {
    const me = await json('/v1/me');
    $('user').textContent = me.user;
  }

  async function loadModels() {
    const select = $('model');
    select.innerHTML = '';
    try {
      const body = await json('/v1/models/running');
      const models = body.models || [];
      $('models-empty').hidden = models.length > 0;
      const groups = {};
      models.forEach((m) => { (groups[m.deployment || 'other'] = groups[m.deployment || 'other'] || []).push(m); });
      Object.keys(groups).sort().forEach((dep) => {
        const og = document.createElement('optgroup');
        og.label = dep;
        groups[dep].forEach((m) => { const o = document.createElement('option'); o.value = m.name; o.textContent = m.name; og.appendChild(o); });
        select.appendChild(og);
      });
    } catch (e) {
      $('models-empty').hidden = false;
      $('models-empty').textContent = 'Models unavailable: ' + e.message;
    }
  }

  async function loadSessions() {
    const body = await json('/v1/chat/sessions');
    const ul = $('sessions');
    ul.innerHTML = '';
    body.data.forEach((s) => {
      const li = document.createElement('li');
      const title = document.createElement('span');
      title.className = 'title';
      title.textContent = (s.title || 'New chat') + ' · ' + s.model_name;
      li.title = s.title || '';
      li.appendChild(title);
      const del = document.createElement('button');
      del.className = 'del';
      del.type = 'button';
      del.title = 'Delete this chat';
      del.textContent = '×';
      del.onclick = async (ev) => {
        ev.stopPropagation();
        await api('/v1/chat/sessions/' + s.id, { method: 'DELETE' });
        if (state.session && state.session.id === s.id) { resetChat(); }
        loadSessions();
      };
      li.appendChild(del);
      li.classList.toggle('active', state.session && state.session.id === s.id);
      li.onclick = () => openSession(s.id).catch((e) => banner(e.message, true));
      ul.appendChild(li);
    });
  }

  async function openSession(id) {
    const s = await json('/v1/chat/sessions/' + id);
    state.session = s;
    $('messages').innerHTML = '';
    s.messages.forEach((m) => addMessage(m.role, m.content, m.status, m.error));
    const last = s.messages.filter((m) => m.role === 'assistant').pop();
    showMetrics(last && last.metrics);
    banner(s.messages.length ? 'Model <b>' + s.model_name + '</b> is locked for this chat. Start a new chat to switch.' : '', false);
    updateTools();
    loadSessions();
    const divs = $('messages').querySelectorAll('.msg');
    if (last && last.status === 'streaming' && divs.length) {
      // a turn still running (page reloaded mid-answer): replay its events and follow it to the end
      follow(divs[divs.length - 1], last.id);
    }
  }

  function resetChat() {
    state.session = null;
    $('messages').innerHTML = '';
    showMetrics(null);
    banner('', false);
    updateTools();
  }

  function updateTools() {
    const has = !!(state.session && $('messages').querySelector('.msg.assistant'));
    $('regenerate').hidden = !has || state.busy;
    $('view-code').hidden = !state.session;
  }

  async function follow(div, turnId) {
    setBusy(true);
    state.turnId = turnId;
    try {
      const res = await api('/v1/chat/sessions/' + state.session.id + '/turns/' + turnId + '/events', { headers: { Accept: 'text/event-stream' } });
      if (res.ok) {
        div.querySelector('.text').textContent = '';
        await readEvents(res, (name, data) => onTurnEvent(name, data, () => div));
      }
    } finally {
      state.turnId = null;
      setBusy(false);
    }
  }

  function onTurnEvent(name, data, current, create) {
    let div = current();
    if (name === 'message_start') { if (create) div = create(data); }
    else if (name === 'delta' && div) { div.querySelector('.text').textContent += data.content; $('messages').scrollTop = $('messages').scrollHeight; }
    else if (name === 'metrics') { showMetrics(data); }
    else if (name === 'message_end' && div) { div.querySelector('.text').textContent = data.content; setStatus(div, data.status, data.error); showMetrics(data.metrics); }
  }

  async function newChat() {
    const model = $('model').value;
    if (!model) { banner('No models running: nothing to chat with yet.', true); return null; }
    const s = await json('/v1/chat/sessions', { method: 'POST', body: JSON.stringify({ model }) });
    state.session = { ...s, messages: [] };
    $('messages').innerHTML = '';
    showMetrics(null);
    banner('', false);
    await loadSessions();
    return state.session;
  }

  function setBusy(busy) {
    state.busy = busy;
    $('send').disabled = busy;
    $('stop').hidden = !busy;
    updateTools();
  }

  // Reads server-sent events from a fetch response body (EventSource cannot POST).
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
        let name = 'message'; let data = '';
        block.split(/\r?\n/).forEach((line) => {
          if (line.startsWith('event:')) name = line.slice(6).trim();
          else if (line.startsWith('data:')) data += (data ? '\n' : '') + line.slice(line.startsWith('data: ') ? 6 : 5);
        });
        if (data) onEvent(name, JSON.parse(data));
      }
    }
  }

  async function send(content) {
    if (!state.session) { if (!(await newChat())) return; }
    setBusy(true);
    banner('Model <b>' + state.session.model_name + '</b> is locked for this chat. Start a new chat to switch.', false);
    addMessage('user', content, 'complete');
    let div = null;
    showMetrics(null);
    try {
      const res = await api('/v1/chat/sessions/' + state.session.id + '/turns', {
        method: 'POST', headers: { Accept: 'text/event-stream' }, body: JSON.stringify({ content }),
      });
      if (!res.ok) {
        const body = await res.json().catch(() => ({}));
        throw new Error((body.error && body.error.message) || ('HTTP ' + res.status));
      }
      state.turnId = res.headers.get('X-Turn-Id');
      await readEvents(res, (name, data) => onTurnEvent(name, data, () => div,
        () => { div = addMessage('assistant', '', 'streaming'); return div; }));
    } catch (e) {
      banner(e.message, true);
    } finally {
      state.turnId = null;
      setBusy(false);
      loadSessions();
    }
  }

  async function regenerate() {
    const s = await json('/v1/chat/sessions/' + state.session.id);
    const last = s.messages.filter((m) => m.role === 'assistant').pop();
    if (!last) return;
    setBusy(true);
    let div = null;
    try {
      const res = await api('/v1/chat/sessions/' + s.id + '/messages/' + last.id + '/regenerate', { method: 'POST', headers: { Accept: 'text/event-stream' } });
      if (!res.ok) {
        const body = await res.json().catch(() => ({}));
        throw new Error((body.error && body.error.message) || ('HTTP ' + res.status));
      }
      state.turnId = res.headers.get('X-Turn-Id');
      await readEvents(res, (name, data) => onTurnEvent(name, data, () => div,
        () => { div = addMessage('assistant', '', 'streaming'); return div; }));
    } finally {
      state.turnId = null;
      setBusy(false);
    }
  }

  async function showCode(lang) {
    const res = await api('/v1/chat/sessions/' + state.session.id + '/code?lang=' + lang, { headers: { Accept: 'text/plain' } });
    $('code').textContent = await res.text();
    $('code-panel').hidden = false;
  }

  async function stop() {
    if (!state.session || !state.turnId) return;
    await api('/v1/chat/sessions/' + state.session.id + '/turns/' + state.turnId + '/stop', { method: 'POST' });
  }

  $('composer').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const content = $('input').value.trim();
    if (!content || state.busy) return;
    $('input').value = '';
    send(content);
  });
  $('input').addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && !ev.shiftKey) { ev.preventDefault(); $('composer').requestSubmit(); }
  });
  $('new-chat').addEventListener('click', () => newChat().then(updateTools).catch((e) => banner(e.message, true)));
  $('regenerate').addEventListener('click', () => regenerate().catch((e) => banner(e.message, true)));
  $('view-code').addEventListener('click', () => showCode('python').catch((e) => banner(e.message, true)));
  document.querySelectorAll('.code-tabs [data-lang]').forEach((b) => b.addEventListener('click', () => showCode(b.dataset.lang).catch((e) => banner(e.message, true))));
  $('copy-code').addEventListener('click', () => navigator.clipboard.writeText($('code').textContent));
  $('close-code').addEventListener('click', () => { $('code-panel').hidden = true; });
  $('clear-all').addEventListener('click', async () => {
    if (!window.confirm('Delete all your chats? This cannot be undone.')) return;
    await api('/v1/chat/sessions', { method: 'DELETE' });
    resetChat();
    loadSessions();
  });
  $('stop').addEventListener('click', () => stop().catch((e) => banner(e.message, true)));

  Promise.all([loadUser(), loadModels(), loadSessions()]).catch((e) => banner(e.message, true));
})();
