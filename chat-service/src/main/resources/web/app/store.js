// The playground's one store: the page's state and who listens to it. No DOM: unit-tested under node
// (chat-service/src/test/js/store.test.js). Modules read and change `state` directly where a change needs no one
// told (the message being streamed grows on every delta); a change other modules react to goes through `set`, which
// tells every subscriber which keys changed (ADR 0019).

/** A store over {@code initial}: {@code state}, {@code set(patch)}, {@code subscribe(listener)}. */
export function createStore(initial) {
  const state = { ...initial };
  const listeners = new Set();
  return {
    state,
    /** Assigns the keys of {@code patch} and tells each listener the keys whose value changed (none: no call). */
    set(patch) {
      const changed = Object.keys(patch).filter((k) => !Object.is(state[k], patch[k]));
      if (!changed.length) return changed;
      Object.assign(state, patch);
      for (const listener of [...listeners]) listener(state, changed);
      return changed;
    },
    /**
     * Calls {@code listener(state, changedKeys)} after each change, only for changes of {@code keys} when given;
     * returns the function that unsubscribes it.
     */
    subscribe(listener, keys) {
      const wanted = keys ? new Set(keys) : null;
      const entry = wanted ? (s, changed) => { if (changed.some((k) => wanted.has(k))) listener(s, changed); } : listener;
      listeners.add(entry);
      return () => listeners.delete(entry);
    },
  };
}

export const store = createStore({
  me: null,
  limits: null, // what the page checks before a send, from GET /ui/config (config.js)
  models: [], // every model the registry knows, with state and reason
  running: [], // models whose state is Ready
  modelsError: null,
  constraints: null, // of the selected model (before a chat exists)
  session: null, // the open chat with its messages
  sel: {}, // parent key -> selected child id (version navigation)
  busy: false,
  turn: null, // { id, lastEventId, userStopped, controller }
  live: null, // live metrics of the running turn
  attachments: [],
  editing: null, // id of the user message being edited
  edit: null, // { text, keep: stored attachments kept, files: new files } of the edit box
  renameId: null,
});

export const state = store.state;
