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

/**
 * The displayed branch of {@code messages} under {@code sel}: the selected (default: newest) child at each step. A long
 * chat is loaded a page at a time (newest first, GET /v1/chat/sessions/{id} holds the newest 200 as stored): until
 * its first message is loaded the path starts at the oldest loaded message on it, i.e. among the messages whose parent
 * is not loaded yet, the one {@code sel} names for its parent (default: the newest of them).
 */
export function pathOf(messages, sel) {
  const ids = new Set(messages.map((m) => m.id));
  const children = new Map();
  const tops = [];
  for (const m of messages) {
    if (m.parent_id && ids.has(m.parent_id)) {
      if (!children.has(m.parent_id)) children.set(m.parent_id, []);
      children.get(m.parent_id).push(m);
    } else {
      tops.push(m);
    }
  }
  const path = [];
  let kids = tops;
  for (let guard = 0; kids.length && guard < 100000; guard++) {
    const chosen = kids.find((m) => m.id === sel[m.parent_id || 'root']) || kids[kids.length - 1];
    path.push(chosen);
    kids = children.get(chosen.id) || [];
  }
  return path;
}

/**
 * The open chat {@code fresh} (its newest page, as GET answers it) with the older messages {@code previous} had
 * loaded and {@code fresh} no longer holds, so a refresh after a turn keeps what the user scrolled back to.
 */
export function keepOlder(previous, fresh) {
  if (!previous || !fresh || previous.id !== fresh.id || !previous.messages) return fresh;
  const have = new Set((fresh.messages || []).map((m) => m.id));
  const older = previous.messages.filter((m) => !have.has(m.id) && !String(m.id).startsWith('pending-'));
  if (!older.length) return fresh;
  return { ...fresh, messages: [...older, ...(fresh.messages || [])], messages_page: previous.messages_page };
}

/** The chat with an older page ({@code page}: data, next, has_more) put before the messages it holds. */
export function withOlderPage(session, page) {
  const have = new Set(session.messages.map((m) => m.id));
  const older = (page.data || []).filter((m) => !have.has(m.id));
  return { ...session, messages: [...older, ...session.messages],
    messages_page: { ...(session.messages_page || {}), next: page.next || null, has_more: !!page.has_more } };
}
