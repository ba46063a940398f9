// The mount point of the playground's features beyond one chat (compare models side by side, presets): each is its
// own module (compare.js, presets.js) with a `mount(context)` called once when the page has started, listed here.
// A feature reads and changes the page through the context's store and functions, and adds its own DOM.
import { api, json } from './api.js';
import { openSession, resetChat } from './chat.js';
import { renderAll } from './messages.js';
import { showError, showNotice } from './notices.js';
import { readEvents } from './sse.js';
import { store } from './store.js';

const features = [];

/** Mounts every feature listed above (none yet) with the page's context. */
export function mountFeatures() {
  const context = { store, api, json, readEvents, renderAll, openSession, resetChat, showError, showNotice };
  for (const feature of features) feature.mount(context);
}
