// The banners above the messages: errors (role=alert) and notices (role=status).
import { $ } from './util.js';

export function showError(html, isHtml) {
  const b = $('error-banner');
  if (!html) { b.hidden = true; b.textContent = ''; return; }
  if (isHtml) b.innerHTML = html; else b.textContent = html;
  b.hidden = false;
}

export function showNotice(text) {
  $('notice').hidden = !text;
  $('notice').textContent = text || '';
}
