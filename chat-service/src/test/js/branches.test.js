// Which branch of a chat the playground shows (web/app/branches.js). Run by `make test` (node --test); no browser.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { newestPathSelection, validSelection } from '../../main/resources/web/app/branches.js';

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
