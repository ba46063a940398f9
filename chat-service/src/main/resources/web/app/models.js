// The model picker: the registry's models (GET /ui/models, then its change stream), grouped by deployment; the
// selected model's constraints; "See why" when none is running.
import { json } from './api.js';
import { updateComposer, updateGauge } from './composer.js';
import { state } from './store.js';
import { $, el } from './util.js';

export const MODELS_POLL_MS = 5000;

export async function loadModels() {
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

export function applyModels(all) {
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
export let modelStreamLive = false;

export const modelStream = { es: null, revision: null, entries: new Map() };

export function modelKey(m) {
  return m.id || ((m.namespace || 'static') + '/' + m.deployment + '/' + m.name);
}

export function applyModelEntries() {
  state.modelsError = null;
  applyModels([...modelStream.entries.values()]);
}

export function followModelChanges() {
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

export function renderModels() {
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

export async function loadConstraints(name) {
  try {
    state.constraints = await json('/v1/models/' + encodeURIComponent(name) + '/constraints');
  } catch (e) {
    state.constraints = null;
  }
  applyConstraints();
}

export function currentConstraints() {
  return (state.session && state.session.constraints) || state.constraints || {};
}

export function applyConstraints() {
  const c = currentConstraints();
  const input = $('max-tokens');
  input.placeholder = c.max_tokens_default ? 'default ' + c.max_tokens_default : 'default';
  if (c.max_model_len) input.max = c.max_model_len; else input.removeAttribute('max');
  updateGauge();
}

export function showWhy() {
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


/** The model selector (its choice is remembered) and "See why". */
export function wireModels() {
  $('model').addEventListener('change', () => {
    localStorage.setItem('parley.model', $('model').value);
    state.constraints = null;
    loadConstraints($('model').value);
    updateComposer();
  });
  $('why-no-models').addEventListener('click', showWhy);
  $('close-why').addEventListener('click', () => $('why-dialog').close());
}
