// The turn stream reader: server-sent events read from a fetch response body (EventSource can neither POST nor send
// headers such as Last-Event-ID). No DOM: unit-tested under node (chat-service/src/test/js/sse.test.js).

/**
 * Calls {@code onEvent({name, data, id})} for each event of {@code res.body} whose data is JSON, in order; events
 * without data or with data that is not JSON are skipped. Resolves when the body ends.
 */
export async function readEvents(res, onEvent) {
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let idx;
    while ((idx = buffer.search(/\r?\n\r?\n/)) >= 0) {
      const block = buffer.slice(0, idx);
      buffer = buffer.slice(idx).replace(/^\r?\n\r?\n/, '');
      let name = 'message';
      let data = '';
      let id = null;
      for (const line of block.split(/\r?\n/)) {
        if (line.startsWith('event:')) name = line.slice(6).trim();
        else if (line.startsWith('id:')) id = line.slice(3).trim();
        else if (line.startsWith('data:')) data += (data ? '\n' : '') + line.slice(line.startsWith('data: ') ? 6 : 5);
      }
      if (data) {
        let parsed;
        try { parsed = JSON.parse(data); } catch (e) { continue; }
        onEvent({ name, data: parsed, id });
      }
    }
  }
}
