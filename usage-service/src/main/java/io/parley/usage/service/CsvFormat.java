package io.parley.usage.service;

import java.io.IOException;
import java.io.Writer;
import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.parley.usage.model.UsageRecord;

/**
 * CSV of usage records: RFC 4180 quoting (a field with a comma, quote, CR or LF is quoted, quotes doubled), CRLF line
 * ends, metadata and attachments as JSON text. Text that a spreadsheet would run as a formula (leading {@code = + - @}
 * or a tab/CR) is prefixed with an apostrophe, since user ids and metadata come from callers.
 */
@ApplicationScoped
public class CsvFormat {

    static final List<String> HEADER = List.of("request_id", "timestamp", "received_at", "user_id", "org_id", "api_key_id",
            "model", "engine_type", "deployment", "endpoint_kind", "stream", "prompt_tokens", "completion_tokens",
            "ttft_ms", "latency_ms", "tokens_per_sec", "status", "error_type", "correlation_id", "source", "metadata",
            "attachments", "bytes_delivered");

    private final ObjectMapper mapper;

    public CsvFormat(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    public void writeHeader(Writer out) throws IOException {
        writeLine(out, HEADER.stream().map(h -> (Object) h).toList());
    }

    public void writeRecord(Writer out, UsageRecord r) throws IOException {
        writeLine(out, List.of(text(r.requestId()), r.timestamp().toString(), r.receivedAt().toString(), text(r.userId()),
                text(r.orgId()), text(r.apiKeyId()), text(r.model()), text(r.engineType()), text(r.deployment()),
                text(r.endpointKind()), String.valueOf(r.stream()), String.valueOf(r.promptTokens()),
                String.valueOf(r.completionTokens()), number(r.ttftMs()), number(r.latencyMs()), number(r.tokensPerSec()),
                text(r.status()), text(r.errorType()), text(r.correlationId()), text(r.source()), json(r.metadata()),
                json(r.attachments()), r.bytesDelivered() == null ? "" : String.valueOf(r.bytesDelivered())));
    }

    /** Writes one line of already rendered fields, quoting where RFC 4180 requires it. */
    public void writeLine(Writer out, List<Object> fields) throws IOException {
        for (int i = 0; i < fields.size(); i++) {
            if (i > 0) {
                out.write(',');
            }
            out.write(escape(String.valueOf(fields.get(i))));
        }
        out.write("\r\n");
    }

    static String escape(String field) {
        boolean quote = false;
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == ',' || c == '"' || c == '\r' || c == '\n') {
                quote = true;
                break;
            }
        }
        return quote ? '"' + field.replace("\"", "\"\"") + '"' : field;
    }

    /** Caller-supplied text, defused against spreadsheet formula injection; null becomes an empty field. */
    public static String text(String value) {
        if (value == null || value.isEmpty()) {
            return "";
        }
        char first = value.charAt(0);
        if (first == '=' || first == '+' || first == '-' || first == '@' || first == '\t' || first == '\r') {
            return "'" + value;
        }
        return value;
    }

    public static String number(Double value) {
        return value == null ? "" : String.valueOf(value);
    }

    private String json(Object value) {
        try {
            return mapper.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
