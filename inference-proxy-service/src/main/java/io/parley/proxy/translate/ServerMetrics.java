package io.parley.proxy.translate;

import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The proxy's server-measured fields of a chat-completions {@code usage} object ({@code time_to_first_token},
 * {@code total_latency}, {@code completion_tokens_after_first_per_sec}), carried over into another API's usage object
 * as extra fields, as chat completions has them.
 */
final class ServerMetrics {

    static final List<String> FIELDS = List.of("time_to_first_token", "total_latency",
            "completion_tokens_after_first_per_sec");

    private ServerMetrics() {
    }

    /** Copies the fields present in {@code from} (a chat-completions usage, may be null) onto {@code to}. */
    static void copy(JsonNode from, ObjectNode to) {
        if (from == null) {
            return;
        }
        for (String field : FIELDS) {
            JsonNode value = from.get(field);
            if (value != null && value.isNumber()) {
                to.set(field, value);
            }
        }
    }
}
