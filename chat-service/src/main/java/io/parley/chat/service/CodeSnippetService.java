package io.parley.chat.service;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;

import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.parley.chat.client.EndpointMode;
import io.parley.chat.client.ProxyRequest;
import io.parley.chat.config.ChatConfig;
import io.parley.chat.repository.AttachmentRow;
import io.parley.chat.repository.ChatRepository;
import io.parley.chat.repository.MessageRow;
import io.parley.chat.repository.SessionRow;

/**
 * View code: Python, cURL and JavaScript snippets that replay the session's request exactly as the playground sends
 * it (same builder): the proxy's base URL and the endpoint of the envelope's mode, model, messages of the current
 * branch up to its last user message (a placeholder user message when there is none yet), parameters, metadata, the
 * correlation id and the {@code X-Parley-Overrides} header. Python uses the openai package
 * ({@code chat.completions.create}, {@code responses.create}) or the anthropic package (Messages); JavaScript the
 * openai package, or {@code fetch} for Messages. Attachments appear as placeholder data ({@code <base64 of name>}),
 * never their bytes. The key is always a placeholder read from {@code PARLEY_API_KEY}; no token or secret is ever
 * written into a snippet.
 */
@ApplicationScoped
public class CodeSnippetService {

    public static final List<String> LANGS = List.of("python", "curl", "javascript");
    static final String PLACEHOLDER_MESSAGE = "Your message";

    private final SessionService sessions;
    private final ChatRepository repository;
    private final CompletionRequestBuilder requests;
    private final ChatConfig config;
    private final ObjectMapper mapper;

    public CodeSnippetService(SessionService sessions, ChatRepository repository, CompletionRequestBuilder requests,
            ChatConfig config, ObjectMapper mapper) {
        this.sessions = sessions;
        this.repository = repository;
        this.requests = requests;
        this.config = config;
        this.mapper = mapper;
    }

    public String snippet(Caller caller, UUID sessionId, String lang) {
        String l = lang == null ? "" : lang.toLowerCase(Locale.ROOT);
        if (!LANGS.contains(l)) {
            throw ApiException.badRequest("lang", "lang must be one of python, curl, javascript");
        }
        SessionRow session = sessions.require(caller, sessionId);
        ProxyRequest request = request(session, caller.name());
        String base = stripSlash(config.proxy().publicUrl());
        return switch (l) {
            case "python" -> switch (request.mode()) {
                case RESPONSES -> pythonResponses(base, request);
                case MESSAGES -> pythonMessages(base, request);
                case COMPLETIONS -> pythonCompletions(base, request);
                default -> python(base, request);
            };
            case "curl" -> curl(base, request);
            default -> switch (request.mode()) {
                case MESSAGES -> javascriptFetch(base, request);
                default -> javascript(base, request);
            };
        };
    }

    /**
     * The request the playground sends for the session's current branch, with the envelope of its last user message
     * and placeholders instead of attachment bytes.
     */
    ProxyRequest request(SessionRow session, String user) {
        List<MessageRow> all = repository.listMessages(session.id());
        List<MessageRow> branch = all.isEmpty() ? List.of()
                : CompletionRequestBuilder.branch(all, all.get(all.size() - 1).id());
        int lastUser = -1;
        for (int i = 0; i < branch.size(); i++) {
            if (MessageRow.USER.equals(branch.get(i).role())) {
                lastUser = i;
            }
        }
        List<MessageRow> sent = lastUser < 0 ? new ArrayList<>(branch) : new ArrayList<>(branch.subList(0, lastUser + 1));
        TurnEnvelope envelope = lastUser < 0 ? TurnEnvelope.DEFAULT
                : TurnEnvelope.fromJson(branch.get(lastUser).envelope());
        if (lastUser < 0) {
            sent.add(new MessageRow(UUID.randomUUID(), session.id(), MessageRow.USER, PLACEHOLDER_MESSAGE,
                    MessageRow.COMPLETE, null, null, null, null, null, Instant.now(), null));
        }
        Map<UUID, List<AttachmentRow>> files = repository.listAttachmentMeta(session.id()).stream()
                .collect(Collectors.groupingBy(AttachmentRow::messageId));
        return requests.build(session, sent, user, envelope, files,
                CompletionRequestBuilder.AttachmentPayload.PLACEHOLDER);
    }

    /** The envelope headers other than the key, as a Python dict literal. */
    private String pyHeaders(ProxyRequest request) {
        StringBuilder b = new StringBuilder("{");
        boolean first = true;
        for (Map.Entry<String, String> h : request.headers().entrySet()) {
            if ("anthropic-version".equals(h.getKey())) {
                continue; // the anthropic package sends it
            }
            b.append(first ? "" : ", ").append(pyString(h.getKey())).append(": ").append(pyString(h.getValue()));
            first = false;
        }
        return b.append('}').toString();
    }

    private String pyArgs(ObjectNode body, List<String> skip) {
        StringBuilder b = new StringBuilder();
        body.fields().forEachRemaining(f -> {
            if (!skip.contains(f.getKey())) {
                b.append("    ").append(f.getKey()).append('=').append(py(f.getValue(), "    ")).append(",\n");
            }
        });
        return b.toString();
    }

    private String python(String base, ProxyRequest request) {
        return pythonCall("from openai import OpenAI", "OpenAI", base + "/v1", "stream = client.chat.completions.create(",
                request, List.of(), ")\n",
                """
                        for chunk in stream:
                            if chunk.choices and chunk.choices[0].delta.content:
                                print(chunk.choices[0].delta.content, end="", flush=True)
                            if chunk.usage:
                                print()
                                print(chunk.usage)
                        """);
    }

    private String pythonCompletions(String base, ProxyRequest request) {
        return pythonCall("from openai import OpenAI", "OpenAI", base + "/v1", "stream = client.completions.create(",
                request, List.of(), ")\n",
                """
                        for chunk in stream:
                            if chunk.choices and chunk.choices[0].text:
                                print(chunk.choices[0].text, end="", flush=True)
                            if chunk.usage:
                                print()
                                print(chunk.usage)
                        """);
    }

    private String pythonResponses(String base, ProxyRequest request) {
        return pythonCall("from openai import OpenAI", "OpenAI", base + "/v1", "stream = client.responses.create(",
                request, List.of(), ")\n",
                """
                        for event in stream:
                            if event.type == "response.output_text.delta":
                                print(event.delta, end="", flush=True)
                            elif event.type in ("response.completed", "response.incomplete"):
                                print()
                                print(event.response.usage)
                        """);
    }

    private String pythonMessages(String base, ProxyRequest request) {
        return pythonCall("import anthropic", "anthropic.Anthropic", base, "with client.messages.stream(", request,
                List.of("stream"), ") as stream:\n",
                """
                            for text in stream.text_stream:
                                print(text, end="", flush=True)
                            print()
                            print(stream.get_final_message().usage)
                        """);
    }

    /** One Python snippet: import, client, the call with the request's arguments and headers, then {@code body}. */
    private String pythonCall(String importLine, String clientClass, String baseUrl, String callOpen,
            ProxyRequest request, List<String> skip, String callClose, String body) {
        StringBuilder b = new StringBuilder();
        b.append("import os\n\n").append(importLine).append("\n\n");
        b.append("client = ").append(clientClass).append("(\n");
        b.append("    base_url=").append(pyString(baseUrl)).append(",\n");
        b.append("    api_key=os.environ[\"PARLEY_API_KEY\"],  # your Parley API key; never paste it into code\n");
        b.append(")\n\n");
        b.append(callOpen).append('\n');
        b.append(pyArgs(request.body(), skip));
        b.append("    extra_headers=").append(pyHeaders(request)).append(",\n");
        b.append(callClose);
        b.append(body);
        return b.toString();
    }

    private String curl(String base, ProxyRequest request) {
        StringBuilder b = new StringBuilder();
        b.append("curl -N ").append(base).append(request.mode().path()).append(" \\\n");
        b.append("  -H \"Authorization: Bearer $PARLEY_API_KEY\" \\\n");
        b.append("  -H \"Content-Type: application/json\" \\\n");
        request.headers().forEach((name, value) -> b.append("  -H ").append(shellQuote(name + ": " + value))
                .append(" \\\n"));
        b.append("  -d @- <<'JSON'\n").append(pretty(request.body())).append("\nJSON\n");
        return b.toString();
    }

    private String javascript(String base, ProxyRequest request) {
        boolean responses = request.mode() == EndpointMode.RESPONSES;
        boolean completions = request.mode() == EndpointMode.COMPLETIONS;
        StringBuilder b = new StringBuilder();
        b.append("import OpenAI from \"openai\";\n\n");
        b.append("const client = new OpenAI({\n");
        b.append("  baseURL: ").append(jsonString(base + "/v1")).append(",\n");
        b.append("  apiKey: process.env.PARLEY_API_KEY, // your Parley API key; never paste it into code\n");
        b.append("});\n\n");
        b.append("const stream = await client.")
                .append(responses ? "responses" : completions ? "completions" : "chat.completions")
                .append(".create(\n");
        b.append("  ").append(indent(pretty(request.body()), "  ")).append(",\n");
        b.append("  { headers: ").append(jsHeaders(request, false)).append(" },\n");
        b.append(");\n");
        if (responses) {
            b.append("for await (const event of stream) {\n");
            b.append("  if (event.type === \"response.output_text.delta\") process.stdout.write(event.delta);\n");
            b.append("  if (event.type === \"response.completed\" || event.type === \"response.incomplete\") "
                    + "console.log(\"\\n\", event.response.usage);\n");
            b.append("}\n");
        } else {
            b.append("for await (const chunk of stream) {\n");
            b.append(completions ? "  process.stdout.write(chunk.choices[0]?.text ?? \"\");\n"
                    : "  process.stdout.write(chunk.choices[0]?.delta?.content ?? \"\");\n");
            b.append("  if (chunk.usage) console.log(\"\\n\", chunk.usage);\n");
            b.append("}\n");
        }
        return b.toString();
    }

    /** Anthropic Messages over plain {@code fetch}, reading the SSE stream (Node 18+). */
    private String javascriptFetch(String base, ProxyRequest request) {
        StringBuilder b = new StringBuilder();
        b.append("// Anthropic Messages through Parley with fetch (Node 18+)\n");
        b.append("const response = await fetch(").append(jsonString(base + request.mode().path())).append(", {\n");
        b.append("  method: \"POST\",\n");
        b.append("  headers: ").append(indent(jsHeaders(request, true), "  ")).append(",\n");
        b.append("  body: JSON.stringify(").append(indent(pretty(request.body()), "  ")).append("),\n");
        b.append("});\n");
        b.append("if (!response.ok) throw new Error(`HTTP ${response.status}: ${await response.text()}`);\n");
        b.append("const decoder = new TextDecoder();\n");
        b.append("let buffer = \"\";\n");
        b.append("for await (const bytes of response.body) {\n");
        b.append("  buffer += decoder.decode(bytes, { stream: true });\n");
        b.append("  let end;\n");
        b.append("  while ((end = buffer.indexOf(\"\\n\\n\")) >= 0) {\n");
        b.append("    const data = buffer.slice(0, end).split(\"\\n\").find((l) => l.startsWith(\"data:\"));\n");
        b.append("    buffer = buffer.slice(end + 2);\n");
        b.append("    if (!data) continue;\n");
        b.append("    const event = JSON.parse(data.slice(5));\n");
        b.append("    if (event.type === \"content_block_delta\" && event.delta.type === \"text_delta\") "
                + "process.stdout.write(event.delta.text);\n");
        b.append("    if (event.type === \"message_delta\") console.log(\"\\n\", event.usage);\n");
        b.append("    if (event.type === \"error\") throw new Error(event.error.message);\n");
        b.append("  }\n");
        b.append("}\n");
        return b.toString();
    }

    /** The headers as a JavaScript object literal; with the key from the environment when {@code withAuth}. */
    private String jsHeaders(ProxyRequest request, boolean withAuth) {
        StringBuilder b = new StringBuilder("{");
        boolean first = true;
        if (withAuth) {
            b.append("\n  \"Authorization\": `Bearer ${process.env.PARLEY_API_KEY}`, // your Parley API key\n");
            b.append("  \"Content-Type\": \"application/json\",");
            first = false;
        }
        for (Map.Entry<String, String> h : request.headers().entrySet()) {
            b.append(withAuth ? "\n  " : first ? " " : ", ").append(jsonString(h.getKey())).append(": ")
                    .append(jsonString(h.getValue())).append(withAuth ? "," : "");
            first = false;
        }
        return b.append(withAuth ? "\n}" : " }").toString();
    }

    /** A JSON value as a Python literal (True/False/None; JSON strings are valid Python strings). */
    private String py(JsonNode node, String indent) {
        if (node.isObject()) {
            if (node.isEmpty()) {
                return "{}";
            }
            StringBuilder b = new StringBuilder("{\n");
            node.fields().forEachRemaining(f -> b.append(indent).append("    ").append(pyString(f.getKey()))
                    .append(": ").append(py(f.getValue(), indent + "    ")).append(",\n"));
            return b.append(indent).append('}').toString();
        }
        if (node.isArray()) {
            if (node.isEmpty()) {
                return "[]";
            }
            StringBuilder b = new StringBuilder("[\n");
            node.forEach(v -> b.append(indent).append("    ").append(py(v, indent + "    ")).append(",\n"));
            return b.append(indent).append(']').toString();
        }
        if (node.isBoolean()) {
            return node.asBoolean() ? "True" : "False";
        }
        if (node.isNull()) {
            return "None";
        }
        return node.toString();
    }

    /** A single-quoted shell word. */
    static String shellQuote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    private String pretty(Object node) {
        try {
            return mapper.writerWithDefaultPrettyPrinter().writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private String jsonString(String s) {
        try {
            return mapper.writeValueAsString(s);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A JSON string literal is a valid Python string literal for the characters Jackson emits. */
    private String pyString(String s) {
        return jsonString(s);
    }

    private static String indent(String text, String prefix) {
        return text.replace("\n", "\n" + prefix);
    }

    private static String stripSlash(String url) {
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }
}
