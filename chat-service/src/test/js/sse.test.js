// The playground's turn stream reader (web/app/sse.js) against the event stream format of the HTML Living Standard
// (section "Server-sent events", "Interpreting an event stream"): blank-line separated blocks, "event:", "id:",
// "data:" lines (one optional space after the colon), several data lines joined by a newline, CRLF or LF line ends,
// comment lines starting with ":". Run by `make test` (node --test); no browser.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { readEvents } from '../../main/resources/web/app/sse.js';

/** A fetch Response whose body arrives in exactly these chunks (strings or bytes). */
function response(...chunks) {
  const encoder = new TextEncoder();
  const body = new ReadableStream({
    start(controller) {
      for (const c of chunks) controller.enqueue(typeof c === 'string' ? encoder.encode(c) : c);
      controller.close();
    },
  });
  return new Response(body, { headers: { 'Content-Type': 'text/event-stream' } });
}

async function events(...chunks) {
  const seen = [];
  await readEvents(response(...chunks), (ev) => seen.push(ev));
  return seen;
}

test('reads named events with their ids and JSON data, in order', async () => {
  const seen = await events('event: message_start\nid: 1\ndata: {"id":"a","parent_id":"u"}\n\n'
    + 'event: delta\nid: 2\ndata: {"id":"a","content":"Hel"}\n\n');
  assert.deepEqual(seen, [
    { name: 'message_start', id: '1', data: { id: 'a', parent_id: 'u' } },
    { name: 'delta', id: '2', data: { id: 'a', content: 'Hel' } },
  ]);
});

test('an event split across chunks anywhere, even inside a multi-byte character, arrives once and whole', async () => {
  const text = 'event: delta\nid: 7\ndata: {"content":"héllo ☃"}\n\n';
  const bytes = new TextEncoder().encode(text);
  const snowman = bytes.indexOf(0xe2); // the first byte of ☃: split it from the other two
  const seen = await events(bytes.slice(0, 5), bytes.slice(5, snowman + 1), bytes.slice(snowman + 1, bytes.length - 1),
    bytes.slice(bytes.length - 1));
  assert.deepEqual(seen, [{ name: 'delta', id: '7', data: { content: 'héllo ☃' } }]);
});

test('CRLF line ends, data without the optional space, and several data lines joined by a newline', async () => {
  const seen = await events('event: metrics\r\nid: 3\r\ndata:{"a":\r\ndata: 1}\r\n\r\n');
  assert.deepEqual(seen, [{ name: 'metrics', id: '3', data: { a: 1 } }]);
  // joined by a newline, not glued: "1" and "2" make the text "1\n2" (not JSON, skipped), never the number 12
  const glued = await events('data: 1\ndata: 2\n\ndata: 3\n\n');
  assert.deepEqual(glued.map((e) => e.data), [3]);
});

test('without an event line the name is "message"; comments, empty blocks and non-JSON data are skipped', async () => {
  const seen = await events(': keep-alive\n\n', 'data: not json\n\n', 'data: {"ok":true}\n\n', '\n\n');
  assert.deepEqual(seen, [{ name: 'message', id: null, data: { ok: true } }]);
});

test('a block the stream ends inside (no blank line after it) is not delivered', async () => {
  const seen = await events('event: delta\ndata: {"content":"x"}\n\nevent: message_end\ndata: {"status":"complete"}');
  assert.deepEqual(seen.map((e) => e.name), ['delta']);
});

test('an error thrown by the body (connection dropped) rejects, after the events already read', async () => {
  const encoder = new TextEncoder();
  let pull = 0;
  const body = new ReadableStream({
    pull(controller) {
      pull += 1;
      if (pull === 1) controller.enqueue(encoder.encode('event: delta\nid: 1\ndata: {"content":"a"}\n\n'));
      else controller.error(new TypeError('network error'));
    },
  });
  const seen = [];
  await assert.rejects(readEvents(new Response(body), (ev) => seen.push(ev.id)), /network error/);
  assert.deepEqual(seen, ['1']);
});
