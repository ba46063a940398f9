// The playground's store (web/app/store.js): state plus subscribe. Run by `make test` (node --test); no browser.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { createStore, store, state } from '../../main/resources/web/app/store.js';

test('set assigns the patch and tells each listener the keys that changed', () => {
  const s = createStore({ busy: false, session: null });
  const calls = [];
  s.subscribe((st, changed) => calls.push([changed, st.busy]));
  assert.deepEqual(s.set({ busy: true, session: null }), ['busy']);
  assert.equal(s.state.busy, true);
  assert.deepEqual(calls, [[['busy'], true]]);
});

test('a set that changes nothing calls no listener', () => {
  const s = createStore({ busy: false });
  let calls = 0;
  s.subscribe(() => { calls += 1; });
  assert.deepEqual(s.set({ busy: false }), []);
  assert.equal(calls, 0);
});

test('a listener for some keys hears only changes of those keys', () => {
  const s = createStore({ busy: false, live: null });
  const heard = [];
  s.subscribe((st, changed) => heard.push(changed.join(',')), ['busy']);
  s.set({ live: { tokens: 1 } });
  s.set({ busy: true, live: null });
  assert.deepEqual(heard, ['busy,live']);
});

test('unsubscribe stops the calls, also when it happens during a notification', () => {
  const s = createStore({ n: 0 });
  const heard = [];
  let offB = null;
  const offA = s.subscribe((st) => { heard.push('a' + st.n); offB(); });
  offB = s.subscribe((st) => heard.push('b' + st.n));
  s.set({ n: 1 }); // a runs and removes b; b was already in this round's list
  s.set({ n: 2 });
  offA();
  s.set({ n: 3 });
  assert.deepEqual(heard, ['a1', 'b1', 'a2']);
});

test('the initial state is copied, and the page store starts with no chat, not busy, no limits read', () => {
  const initial = { a: 1 };
  const s = createStore(initial);
  s.set({ a: 2 });
  assert.equal(initial.a, 1);
  assert.equal(state, store.state);
  assert.equal(state.session, null);
  assert.equal(state.busy, false);
  assert.equal(state.limits, null);
  assert.deepEqual(state.sel, {});
});
