// Parley playground. Bundled by the Quarkus Web Bundler (esbuild, mvnpm packages, no Node toolchain): the Web Bundler
// bundles every module of web/app/; this one starts the page. The modules by concern (ADR 0019):
// api (HTTP), store (state + subscribe), config (chat-service's limits), sse (the turn stream reader), models (model
// picker), sidebar (history), chat (one chat: open, fork, switch, export), messages, composer, envelope (Advanced),
// turn (a running answer), markdown, viewcode, layout, notices, util, features (mount point of compare, presets).
import { ApiError, json } from './api.js';
import { openSession, wireChat } from './chat.js';
import { wireComposer } from './composer.js';
import { loadLimits } from './config.js';
import { wireEnvelope } from './envelope.js';
import { mountFeatures } from './features.js';
import { wireLayout, wireTheme } from './layout.js';
import { renderAll, wireMessages } from './messages.js';
import { followModelChanges, loadModels, MODELS_POLL_MS, modelStreamLive, wireModels } from './models.js';
import { showError } from './notices.js';
import { loadSessions, wireSidebar } from './sidebar.js';
import { state } from './store.js';
import { $ } from './util.js';
import { wireViewCode } from './viewcode.js';

function wire() {
  wireTheme();
  wireComposer();
  wireChat();
  wireSidebar();
  wireModels();
  wireEnvelope();
  wireViewCode();
  wireLayout();
  wireMessages();
}

async function start() {
  // the chat the address asks for, read before anything is awaited: a chat the user starts meanwhile sets the
  // address itself and must not be reopened (that would reset the running turn and the parameters)
  const requested = /#chat=([0-9a-f-]+)/i.exec(location.hash);
  wire();
  try {
    state.me = await json('/v1/me');
    $('user').textContent = state.me.user;
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 401)) showError('Could not load your profile: ' + e.message);
  }
  await loadLimits().catch((e) => {
    if (!(e instanceof ApiError && e.status === 401)) showError('Could not load the page settings: ' + e.message);
  });
  await loadModels();
  followModelChanges();
  setInterval(() => { if (!modelStreamLive) loadModels().catch(() => {}); }, MODELS_POLL_MS);
  await loadSessions().catch((e) => showError('Could not load your chats: ' + e.message));
  if (requested && !state.session) {
    await openSession(requested[1]).catch(() => history.replaceState(null, '', location.pathname));
  }
  renderAll();
  mountFeatures();
  $('input').focus();
  // the page has its profile, models, chats and the chat of the address: what the browser tests wait for
  document.body.dataset.ready = 'true';
}

start();
