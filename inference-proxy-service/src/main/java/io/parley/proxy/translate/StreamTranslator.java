package io.parley.proxy.translate;

import com.fasterxml.jackson.databind.node.ObjectNode;

import io.parley.proxy.service.ServiceError;
import io.vertx.core.buffer.Buffer;

/**
 * Turns one upstream chat-completions answer into another API's wire format. One stateful instance per request: fed the
 * parsed chunks in order, then {@link #end()}; or the whole response for non-streaming calls.
 */
public interface StreamTranslator {

    /** SSE bytes for one upstream chunk (may be empty). */
    Buffer chunk(ObjectNode chunk);

    /** SSE bytes that close the stream normally. */
    Buffer end(ObjectNode usage);

    /** SSE bytes of an error event ending a stream that already started. */
    Buffer error(ServiceError error);

    /** The complete non-streaming answer. */
    ObjectNode response(ObjectNode completion);

    /** An error answered before any byte, in this API's error shape. */
    String errorBody(ServiceError error);
}
