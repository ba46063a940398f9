package io.parley.chat.service;

import java.util.List;
import java.util.Locale;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.parley.chat.config.ChatConfig;
import io.parley.chat.repository.ChatRepository;
import io.parley.chat.repository.MessageRow;
import io.parley.chat.repository.SessionRow;

/**
 * View code: Python (openai package), cURL and JavaScript (openai package) snippets that replay the session's request
 * exactly as the playground sends it (same builder): the proxy's base URL, model, messages of the current branch up
 * to its last user message (a placeholder user message when there is none yet), parameters, metadata and the
 * session's correlation id. The key is always a placeholder read from {@code PARLEY_API_KEY}; no token or secret is
 * ever written into a snippet.
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
        ObjectNode body = request(session, caller.user());
        String base = stripSlash(config.proxy().publicUrl());
        String correlationId = session.id().toString();
        return switch (l) {
            case "python" -> python(base, body, correlationId);
            case "curl" -> curl(base, body, correlationId);
            default -> javascript(base, body, correlationId);
        };
    }

    /** The request the playground sends for the session's current branch. */
    ObjectNode request(SessionRow session, String user) {
        List<MessageRow> all = repository.listMessages(session.id());
        List<MessageRow> branch = all.isEmpty() ? List.of()
                : CompletionRequestBuilder.branch(all, all.get(all.size() - 1).id());
        int lastUser = -1;
        for (int i = 0; i < branch.size(); i++) {
            if (MessageRow.USER.equals(branch.get(i).role())) {
                lastUser = i;
            }
        }
        ObjectNode body = requests.build(session, lastUser < 0 ? branch : branch.subList(0, lastUser + 1), user);
        if (lastUser < 0) {
            body.withArray("messages").addObject().put("role", "user").put("content", PLACEHOLDER_MESSAGE);
        }
        return body;
    }

    private String python(String base, ObjectNode body, String correlationId) {
        StringBuilder b = new StringBuilder();
        b.append("import os\n\nfrom openai import OpenAI\n\n");
        b.append("client = OpenAI(\n");
        b.append("    base_url=").append(pyString(base + "/v1")).append(",\n");
        b.append("    api_key=os.environ[\"PARLEY_API_KEY\"],  # your Parley API key; never paste it into code\n");
        b.append(")\n\n");
        b.append("stream = client.chat.completions.create(\n");
        b.append("    model=").append(pyString(body.get("model").asText())).append(",\n");
        b.append("    messages=").append(indent(pretty(body.get("messages")), "    ")).append(",\n");
        for (String p : List.of("temperature", "top_p", "max_tokens")) {
            if (body.has(p)) {
                b.append("    ").append(p).append('=').append(body.get(p).toString()).append(",\n");
            }
        }
        b.append("    stream=True,\n");
        b.append("    stream_options={\"include_usage\": True},\n");
        b.append("    metadata=").append(pretty(body.get("metadata")).replace("\n", "\n    ")).append(",\n");
        b.append("    extra_headers={\"X-Correlation-Id\": ").append(pyString(correlationId)).append("},\n");
        b.append(")\n");
        b.append("for chunk in stream:\n");
        b.append("    if chunk.choices and chunk.choices[0].delta.content:\n");
        b.append("        print(chunk.choices[0].delta.content, end=\"\", flush=True)\n");
        b.append("    if chunk.usage:\n");
        b.append("        print()\n");
        b.append("        print(chunk.usage)\n");
        return b.toString();
    }

    private String curl(String base, ObjectNode body, String correlationId) {
        return "curl -N " + base + "/v1/chat/completions \\\n"
                + "  -H \"Authorization: Bearer $PARLEY_API_KEY\" \\\n"
                + "  -H \"Content-Type: application/json\" \\\n"
                + "  -H \"X-Correlation-Id: " + correlationId + "\" \\\n"
                + "  -d @- <<'JSON'\n"
                + pretty(body) + "\n"
                + "JSON\n";
    }

    private String javascript(String base, ObjectNode body, String correlationId) {
        return "import OpenAI from \"openai\";\n\n"
                + "const client = new OpenAI({\n"
                + "  baseURL: " + jsonString(base + "/v1") + ",\n"
                + "  apiKey: process.env.PARLEY_API_KEY, // your Parley API key; never paste it into code\n"
                + "});\n\n"
                + "const stream = await client.chat.completions.create(\n"
                + "  " + indent(pretty(body), "  ") + ",\n"
                + "  { headers: { \"X-Correlation-Id\": " + jsonString(correlationId) + " } },\n"
                + ");\n"
                + "for await (const chunk of stream) {\n"
                + "  process.stdout.write(chunk.choices[0]?.delta?.content ?? \"\");\n"
                + "  if (chunk.usage) console.log(\"\\n\", chunk.usage);\n"
                + "}\n";
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
