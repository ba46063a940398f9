// Page layout: full screen and the sidebar toggle.
import { $, el } from './util.js';

export function toggleFullscreen(force) {
  const on = force !== undefined ? force : !document.body.classList.contains('fullscreen');
  document.body.classList.toggle('fullscreen', on);
  $('fullscreen').setAttribute('aria-pressed', on ? 'true' : 'false');
  $('fullscreen').textContent = on ? 'Exit full screen' : 'Full screen';
  try {
    if (on && document.documentElement.requestFullscreen && !document.fullscreenElement) {
      document.documentElement.requestFullscreen().catch(() => {});
    } else if (!on && document.fullscreenElement) {
      document.exitFullscreen().catch(() => {});
    }
  } catch (e) { /* the page-level full screen is enough */ }
  if (on) {
    const exit = el('button', { type: 'button', id: 'exit-fullscreen', class: 'quiet', text: 'Exit full screen',
      onclick: () => toggleFullscreen(false) });
    if (!$('exit-fullscreen')) $('composer').querySelector('.composer-bar').prepend(exit);
  } else if ($('exit-fullscreen')) $('exit-fullscreen').remove();
}

/** Full screen (the button, Escape, the browser leaving full screen) and the sidebar toggle. */
export function wireLayout() {
  $('fullscreen').addEventListener('click', () => toggleFullscreen());
  document.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape' && document.body.classList.contains('fullscreen') && !document.querySelector('dialog[open]')) {
      toggleFullscreen(false);
    }
  });
  document.addEventListener('fullscreenchange', () => {
    if (!document.fullscreenElement && document.body.classList.contains('fullscreen')) toggleFullscreen(false);
  });
  $('toggle-sidebar').addEventListener('click', () => {
    const narrow = window.matchMedia('(max-width: 800px)').matches;
    const cls = narrow ? 'sidebar-open' : 'no-sidebar';
    document.body.classList.toggle(cls);
    const shown = narrow ? document.body.classList.contains('sidebar-open') : !document.body.classList.contains('no-sidebar');
    $('toggle-sidebar').setAttribute('aria-expanded', shown ? 'true' : 'false');
  });
}

const THEME_KEY = 'parley.theme';

/** Whether the page shows dark now: the toggle's choice, else the system's (prefers-color-scheme). */
export function isDark() {
  const chosen = document.documentElement.dataset.theme;
  if (chosen) return chosen === 'dark';
  return window.matchMedia('(prefers-color-scheme: dark)').matches;
}

/** Applies the theme kept in this browser (none: the system's) and wires the header's Dark mode toggle. */
export function wireTheme() {
  const kept = localStorage.getItem(THEME_KEY);
  if (kept === 'dark' || kept === 'light') document.documentElement.dataset.theme = kept;
  const button = $('theme');
  const show = () => button.setAttribute('aria-pressed', isDark() ? 'true' : 'false');
  button.addEventListener('click', () => {
    const next = isDark() ? 'light' : 'dark';
    document.documentElement.dataset.theme = next;
    localStorage.setItem(THEME_KEY, next);
    show();
  });
  window.matchMedia('(prefers-color-scheme: dark)').addEventListener('change', show);
  show();
}
