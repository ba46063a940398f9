// Which branch of a chat is shown. A chat is a tree (edit-and-resend and regenerate add siblings); the page shows one
// path from the root, chosen at each fork by `sel` (parent id, or 'root', -> child id). No DOM: unit-tested under node
// (chat-service/src/test/js/branches.test.js).

/**
 * The selection that shows the path to the newest message (the latest turn, wherever it branched off), so a chat
 * reopened shows what was written last, not merely the newest child at every fork.
 */
export function newestPathSelection(messages) {
  const byId = new Map(messages.map((m) => [m.id, m]));
  let newest = null;
  messages.forEach((m, i) => {
    // created_at is ISO-8601 UTC from the server: compared as text; a tie goes to the later in the list
    if (!newest || String(m.created_at || '') >= String(newest.m.created_at || '')) newest = { m, i };
  });
  const sel = {};
  for (let m = newest && newest.m, guard = 0; m && guard < 10000; guard++) {
    sel[m.parent_id || 'root'] = m.id;
    m = m.parent_id ? byId.get(m.parent_id) : null;
  }
  return sel;
}

/** A kept selection's entries that still name a child of their key in {@code messages} (others are dropped). */
export function validSelection(messages, kept) {
  const out = {};
  for (const [key, id] of Object.entries(kept || {})) {
    if (messages.some((m) => m.id === id && (m.parent_id || 'root') === key)) out[key] = id;
  }
  return out;
}
