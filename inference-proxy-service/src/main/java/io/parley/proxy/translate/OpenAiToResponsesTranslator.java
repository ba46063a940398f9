package io.parley.proxy.translate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.parley.proxy.service.ServiceError;
import io.vertx.core.buffer.Buffer;

/**
 * Upstream OpenAI chat completions → OpenAI Responses ({@code response.created}, {@code response.in_progress},
 * {@code response.output_item.added}, {@code response.content_part.added}, {@code response.output_text.delta}, ...,
 * {@code response.completed}; or a {@code response} object). One text message output; tool calls are not translated
 * yet. The proxy's server metrics of the upstream usage are carried into {@code response.usage}.
 */
public final class OpenAiToResponsesTranslator implements StreamTranslator {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String model;
    private final StringBuilder text = new StringBuilder();
    private String id = "parley";
    private long createdAt;
    private String responseModel;
    private String finishReason;
    private int sequence;
    private boolean started;

    public OpenAiToResponsesTranslator(String model) {
        this.model = model;
        this.responseModel = model;
    }

    @Override
    public Buffer chunk(ObjectNode chunk) {
        Buffer out = Buffer.buffer();
        if (!started) {
            started = true;
            id = chunk.path("id").asText("parley");
            createdAt = chunk.path("created").asLong(0);
            responseModel = chunk.path("model").asText(model);
            event(out, "response.created", wrap("response", response("in_progress", false, null)));
            event(out, "response.in_progress", wrap("response", response("in_progress", false, null)));
            ObjectNode added = JSON.createObjectNode();
            added.put("output_index", 0);
            added.set("item", item("in_progress", false));
            event(out, "response.output_item.added", added);
            ObjectNode part = located();
            part.set("part", part(""));
            event(out, "response.content_part.added", part);
        }
        for (JsonNode choice : chunk.path("choices")) {
            String delta = choice.path("delta").path("content").asText("");
            if (!delta.isEmpty()) {
                text.append(delta);
                ObjectNode d = located();
                d.put("delta", delta);
                event(out, "response.output_text.delta", d);
            }
            JsonNode finish = choice.get("finish_reason");
            if (finish != null && finish.isTextual()) {
                finishReason = finish.asText();
            }
        }
        return out;
    }

    @Override
    public Buffer end(ObjectNode usage) {
        Buffer out = Buffer.buffer();
        if (!started) {
            out.appendBuffer(chunk(JSON.createObjectNode()));
        }
        ObjectNode done = located();
        done.put("text", text.toString());
        event(out, "response.output_text.done", done);
        ObjectNode partDone = located();
        partDone.set("part", part(text.toString()));
        event(out, "response.content_part.done", partDone);
        ObjectNode itemDone = JSON.createObjectNode();
        itemDone.put("output_index", 0);
        itemDone.set("item", item("completed", true));
        event(out, "response.output_item.done", itemDone);
        String status = "length".equals(finishReason) ? "incomplete" : "completed";
        event(out, "response." + status, wrap("response", response(status, true, usage)));
        return out;
    }

    @Override
    public Buffer error(ServiceError error) {
        Buffer out = Buffer.buffer();
        ObjectNode e = JSON.createObjectNode();
        e.put("code", error.code());
        e.put("message", error.getMessage());
        e.putNull("param");
        event(out, "error", e);
        return out;
    }

    @Override
    public ObjectNode response(ObjectNode completion) {
        id = completion.path("id").asText("parley");
        createdAt = completion.path("created").asLong(0);
        responseModel = completion.path("model").asText(model);
        JsonNode choice = completion.path("choices").path(0);
        text.setLength(0);
        text.append(choice.path("message").path("content").asText(""));
        finishReason = choice.path("finish_reason").asText("stop");
        JsonNode usage = completion.get("usage");
        return response("length".equals(finishReason) ? "incomplete" : "completed", true,
                usage instanceof ObjectNode u ? u : null);
    }

    @Override
    public String errorBody(ServiceError error) {
        return error.toJson();
    }

    private ObjectNode response(String status, boolean withOutput, ObjectNode usage) {
        ObjectNode r = JSON.createObjectNode();
        r.put("id", "resp_" + id);
        r.put("object", "response");
        r.put("created_at", createdAt);
        r.put("status", status);
        if ("incomplete".equals(status)) {
            r.putObject("incomplete_details").put("reason", "max_output_tokens");
        }
        r.put("model", responseModel);
        ArrayNode output = r.putArray("output");
        if (withOutput) {
            output.add(item("completed", true));
        }
        if (usage != null) {
            ObjectNode u = r.putObject("usage");
            int in = usage.path("prompt_tokens").asInt();
            int out = usage.path("completion_tokens").asInt();
            u.put("input_tokens", in);
            u.put("output_tokens", out);
            u.put("total_tokens", in + out);
            ServerMetrics.copy(usage, u);
        }
        return r;
    }

    private ObjectNode item(String status, boolean withContent) {
        ObjectNode item = JSON.createObjectNode();
        item.put("id", "msg_" + id);
        item.put("type", "message");
        item.put("status", status);
        item.put("role", "assistant");
        ArrayNode content = item.putArray("content");
        if (withContent) {
            content.add(part(text.toString()));
        }
        return item;
    }

    private static ObjectNode part(String text) {
        ObjectNode part = JSON.createObjectNode();
        part.put("type", "output_text");
        part.put("text", text);
        part.putArray("annotations");
        return part;
    }

    private ObjectNode located() {
        ObjectNode node = JSON.createObjectNode();
        node.put("item_id", "msg_" + id);
        node.put("output_index", 0);
        node.put("content_index", 0);
        return node;
    }

    private static ObjectNode wrap(String field, ObjectNode value) {
        ObjectNode node = JSON.createObjectNode();
        node.set(field, value);
        return node;
    }

    private void event(Buffer out, String type, ObjectNode fields) {
        ObjectNode data = JSON.createObjectNode();
        data.put("type", type);
        data.put("sequence_number", sequence++);
        data.setAll(fields);
        out.appendString("event: ").appendString(type).appendString("\ndata: ").appendString(data.toString())
                .appendString("\n\n");
    }
}
