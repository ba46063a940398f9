// The turn envelope of the Advanced panel (endpoint mode, correlation id, metadata, request overrides): read, checked
// against chat-service's own limits (config.js), filled from a chat, and its errors shown at their fields.
import { limits } from './config.js';
import { $, el, sizeLimit } from './util.js';

export const ENDPOINT_MODES = { chat_completions: 'Chat Completions', responses: 'Responses', messages: 'Anthropic Messages' };

/** The inline error element of a request field, by the server's {@code param} name (or the page's own). */
export function fieldFor(param) {
  const p = String(param || '');
  if (p.startsWith('attachments')) return { error: 'attach-error', focus: 'attach', advanced: false };
  if (p.startsWith('metadata')) return { error: 'metadata-error', focus: 'add-metadata', advanced: true };
  if (p.startsWith('overrides') || p.toLowerCase() === 'x-parley-overrides') {
    return { error: 'overrides-error', focus: 'overrides', advanced: true };
  }
  if (p.startsWith('correlation_id') || p.toLowerCase() === 'x-correlation-id') {
    return { error: 'correlation-id-error', focus: 'correlation-id', advanced: true };
  }
  if (p === 'max_tokens') return { error: 'max-tokens-error', focus: 'max-tokens', advanced: false };
  if (p === 'top_p') return { error: 'top-p-error', focus: 'top-p', advanced: true };
  if (p.startsWith('endpoint_mode')) return { error: 'endpoint-mode-error', focus: 'endpoint-mode', advanced: true };
  return null;
}

export const ENVELOPE_ERRORS = ['endpoint-mode-error', 'correlation-id-error', 'metadata-error', 'overrides-error'];

export function setFieldError(id, message) {
  const p = $(id);
  p.textContent = message || '';
  const control = p.parentElement.querySelector('input, select, textarea');
  if (control && p.id !== 'attach-error') control.toggleAttribute('aria-invalid', !!message);
}

/** Shows a problem next to its field, opening the advanced panel when the field is in it. */
export function showFieldError(param, message) {
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
export function readEnvelope() {
  const problems = [];
  const lim = limits();
  const fail = (param, message) => { problems.push({ param, message }); showFieldError(param, message); };
  ENVELOPE_ERRORS.forEach((id) => setFieldError(id, ''));
  const envelope = {};
  const mode = $('endpoint-mode').value;
  if (!ENDPOINT_MODES[mode]) fail('endpoint_mode', 'Pick an endpoint mode.');
  else if (mode !== 'chat_completions') envelope.endpoint_mode = mode;

  const cid = $('correlation-id').value.trim();
  if (cid) {
    if (!lim.correlationId || lim.correlationId.test(cid)) envelope.correlation_id = cid;
    else fail('correlation_id', 'A correlation id is letters, digits or . _ : - (no spaces), as chat-service accepts it ('
      + lim.correlationId.source + ').');
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
    if (key.length > lim.maxMetadataKey) {
      metaProblems.push('Metadata key “' + key.slice(0, 20) + '…” is longer than ' + lim.maxMetadataKey + ' characters.');
    }
    else if (key === 'source') metaProblems.push('The metadata key “source” is reserved (Parley sends source=playground).');
    else if (Object.prototype.hasOwnProperty.call(metadata, key)) metaProblems.push('Metadata key “' + key + '” appears twice.');
    if (v.value.length > lim.maxMetadataValue) {
      metaProblems.push('The value of metadata key “' + key + '” is longer than ' + lim.maxMetadataValue + ' characters.');
    }
    metadata[key] = v.value;
  });
  if (Object.keys(metadata).length > lim.maxMetadata) metaProblems.push('At most ' + lim.maxMetadata + ' metadata pairs.');
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
      const owned = Object.keys(overrides).filter((k) => lim.protectedOverrides.includes(k));
      if (owned.length) {
        fail('overrides', 'Request overrides cannot change ' + owned.join(', ') + ': Parley sets '
          + (owned.length > 1 ? 'them' : 'it') + ' itself.');
      } else if (new TextEncoder().encode(JSON.stringify(overrides)).length > lim.maxOverridesBytes) {
        fail('overrides', 'Request overrides are limited to ' + sizeLimit(lim.maxOverridesBytes) + '.');
      } else if (Object.keys(overrides).length) envelope.overrides = overrides;
    }
  }
  return { envelope, problems };
}

/** Fills the advanced envelope fields (the envelope a chat's last message was sent with, or the defaults). */
export function fillEnvelope(env) {
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
export function updateAdvancedSummary() {
  const parts = [];
  const mode = $('endpoint-mode').value;
  if (mode !== 'chat_completions') parts.push(ENDPOINT_MODES[mode] || mode);
  if ($('correlation-id').value.trim()) parts.push('correlation id');
  const n = [...document.querySelectorAll('#metadata-rows .meta-row input:first-child')].filter((i) => i.value.trim()).length;
  if (n) parts.push(n + ' metadata');
  if ($('overrides').value.trim()) parts.push('overrides');
  $('advanced-summary').textContent = parts.length ? '· ' + parts.join(', ') : '';
  $('add-metadata').disabled = document.querySelectorAll('#metadata-rows .meta-row').length >= limits().maxMetadata;
}

/** Label/value pairs describing a stored envelope (per-message details). */
export function envelopeEntries(env) {
  if (!env) return [];
  const out = [];
  if (env.endpoint_mode) out.push(['Endpoint mode', ENDPOINT_MODES[env.endpoint_mode] || env.endpoint_mode]);
  if (env.correlation_id) out.push(['Correlation id', env.correlation_id]);
  const meta = Object.entries(env.metadata || {});
  if (meta.length) out.push(['Metadata', meta.map(([k, v]) => k + '=' + v).join(', ')]);
  if (env.overrides && Object.keys(env.overrides).length) out.push(['Overrides', JSON.stringify(env.overrides)]);
  return out;
}

export function addMetadataRow(k = '', v = '') {
  const lim = limits();
  const max = (n) => (Number.isFinite(n) ? n : null);
  const row = el('div', { class: 'meta-row' },
    el('input', { type: 'text', 'aria-label': 'Metadata key', placeholder: 'key', value: k,
      maxlength: max(lim.maxMetadataKey), spellcheck: 'false', autocomplete: 'off' }),
    el('input', { type: 'text', 'aria-label': 'Metadata value', placeholder: 'value', value: v,
      maxlength: max(lim.maxMetadataValue), autocomplete: 'off' }));
  row.append(el('button', { type: 'button', class: 'quiet small', 'aria-label': 'Remove metadata row', text: '×',
    onclick: () => { row.remove(); setFieldError('metadata-error', ''); updateAdvancedSummary(); $('add-metadata').focus(); } }));
  $('metadata-rows').append(row);
  updateAdvancedSummary();
  return row;
}

/** The Advanced panel's fields: an edit clears its field's error and updates the collapsed heading. */
export function wireEnvelope() {
  $('overrides').addEventListener('blur', () => { if ($('overrides').value.trim()) readEnvelope(); });
  $('overrides').addEventListener('input', () => { setFieldError('overrides-error', ''); updateAdvancedSummary(); });
  $('correlation-id').addEventListener('input', () => { setFieldError('correlation-id-error', ''); updateAdvancedSummary(); });
  $('endpoint-mode').addEventListener('change', () => { setFieldError('endpoint-mode-error', ''); updateAdvancedSummary(); });
  $('metadata-rows').addEventListener('input', () => { setFieldError('metadata-error', ''); updateAdvancedSummary(); });
  $('add-metadata').addEventListener('click', () => addMetadataRow().querySelector('input').focus());
  updateAdvancedSummary();
}
