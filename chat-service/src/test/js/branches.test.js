// Which branch of a chat the playground shows (web/app/branches.js). Run by `make test` (node --test); no browser.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import {
  keepOlder, newestPathSelection, pathOf, validSelection, withOlderPage,
} from '../../main/resources/web/app/branches.js';

const at = (s) => '2026-12-07T16:00:' + String(s).padStart(2, '0') + 'Z';
// u1 a1 u2 a2, then u2 edited (u2b a2b, newer), then the older branch continued (u3 a3, newest of all)
const chat = [
  { id: 'u1', parent_id: null, created_at: at(1) }, { id: 'a1', parent_id: 'u1', created_at: at(2) },
  { id: 'u2', parent_id: 'a1', created_at: at(3) }, { id: 'a2', parent_id: 'u2', created_at: at(4) },
  { id: 'u2b', parent_id: 'a1', created_at: at(5) }, { id: 'a2b', parent_id: 'u2b', created_at: at(6) },
  { id: 'u3', parent_id: 'a2', created_at: at(7) }, { id: 'a3', parent_id: 'u3', created_at: at(8) },
];

test('the path to the newest message is chosen at every fork, also where it is not the newest child', () => {
  assert.deepEqual(newestPathSelection(chat), { root: 'u1', u1: 'a1', a1: 'u2', u2: 'a2', a2: 'u3', u3: 'a3' });
});

test('an empty chat selects nothing; a tie goes to the later message of the list', () => {
  assert.deepEqual(newestPathSelection([]), {});
  const tie = [{ id: 'x', parent_id: null, created_at: at(1) }, { id: 'y', parent_id: null, created_at: at(1) }];
  assert.deepEqual(newestPathSelection(tie), { root: 'y' });
});

test('a kept selection keeps only entries that still name a child of their key', () => {
  assert.deepEqual(validSelection(chat, { a1: 'u2b', u2: 'gone', root: 'a1', 'pending-1': 'u1' }), { a1: 'u2b' });
  assert.deepEqual(validSelection(chat, null), {});
});

// a long chat is loaded a page at a time, newest first (GET /v1/chat/sessions/{id}, then messages_page.next)
const ids = (path) => path.map((m) => m.id);

test('the whole chat: the path starts at the root and follows the selection', () => {
  assert.deepEqual(ids(pathOf(chat, newestPathSelection(chat))), ['u1', 'a1', 'u2', 'a2', 'u3', 'a3']);
  assert.deepEqual(ids(pathOf(chat, { a1: 'u2b' })), ['u1', 'a1', 'u2b', 'a2b']);
});

test('only the newest page loaded: the path starts at the oldest loaded message on the newest path', () => {
  const newest = chat.slice(4); // u2b a2b u3 a3: the parents a1 and a2 are on an older page
  assert.deepEqual(ids(pathOf(newest, newestPathSelection(newest))), ['u3', 'a3']);
  assert.deepEqual(ids(pathOf(newest, { a1: 'u2b' })), ['u2b', 'a2b']);
  assert.deepEqual(ids(pathOf(newest, {})), ['u3', 'a3'], 'without a selection: the newest of the tops');
});

test('an older page put before the loaded ones joins the tree; the next cursor moves back', () => {
  const session = { id: 's', messages: chat.slice(4), messages_page: { limit: 4, has_more: true, next: '/older' } };
  const merged = withOlderPage(session, { data: chat.slice(0, 4).concat([chat[4]]), has_more: false, next: null });
  assert.deepEqual(ids(merged.messages), ids(chat), 'each message once, in the stored order');
  assert.equal(merged.messages_page.next, null);
  assert.equal(merged.messages_page.has_more, false);
  assert.deepEqual(ids(pathOf(merged.messages, newestPathSelection(merged.messages))),
    ['u1', 'a1', 'u2', 'a2', 'u3', 'a3']);
});

test('a refresh (the newest page again) keeps the older messages loaded before and their cursor', () => {
  const before = { id: 's', messages: chat, messages_page: { next: null, has_more: false } };
  const fresh = { id: 's', messages: [...chat.slice(6), { id: 'u4', parent_id: 'a3' }],
    messages_page: { next: '/older', has_more: true } };
  const kept = keepOlder(before, fresh);
  assert.deepEqual(ids(kept.messages), [...ids(chat), 'u4']);
  assert.equal(kept.messages_page.next, null);
  assert.equal(keepOlder({ id: 'other', messages: chat }, fresh), fresh, 'another chat: nothing kept');
  assert.equal(keepOlder({ id: 's', messages: chat.slice(6) }, fresh), fresh, 'nothing older loaded: as answered');
});
