// View Code: the server's snippet (Python, cURL, JavaScript) replaying this chat's request.
import { api, failure } from './api.js';
import { state } from './store.js';
import { $, copyText } from './util.js';

export async function showCode(lang) {
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


/** The View Code button and the dialog's tabs (arrow keys move between them), Copy and Close. */
export function wireViewCode() {
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
}
