package io.parley.chat.config;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** Settings of chat-service under {@code parley.*}. */
@ConfigMapping(prefix = "parley")
public interface ChatConfig {

    /** The inference proxy that runs every turn. */
    Proxy proxy();

    /** The model registry (constraints, running models). */
    Registry registry();

    /** Turn lifecycle. */
    Turns turns();

    /** Chat turns' inputs. */
    Chat chat();

    interface Chat {
        /** Files sent with a turn. */
        Attachments attachments();

        /** What browsers are told about the pages and API (security.BrowserHeaders, websocket.ChatUpgradeCheck). */
        Browser browser();

        /** How many of a session's messages one answer holds (service.SessionService). */
        Messages messages();
    }

    interface Messages {
        /**
         * Messages in {@code GET /v1/chat/sessions/{id}} (the newest ones) and in a page of
         * {@code GET /v1/chat/sessions/{id}/messages} that names no {@code limit}.
         */
        @WithDefault("200")
        int pageSize();

        /** The largest {@code limit} a caller may ask for; above it answers 400. */
        @WithDefault("1000")
        int maxPageSize();
    }

    interface Browser {
        /**
         * The CSP {@code frame-ancestors} sources allowed to embed the pages, as written in the header: {@code 'none'}
         * (default) or e.g. {@code 'self' https://console.example.internal} for an in-cluster console.
         */
        @WithDefault("'none'")
        String frameAncestors();

        /**
         * Origins besides the page's own ({@code scheme://host[:port]}) whose pages may open the chat WebSocket;
         * a browser's upgrade from any other {@code Origin} answers 403.
         */
        Optional<List<String>> websocketOrigins();
    }

    interface Attachments {
        /**
         * The most bytes (decoded, all attachments of one turn together) a turn may carry; more answers 413. A body
         * whose {@code Content-Length} cannot fit under it (base64 of this plus {@link #bodySlack()}) is refused
         * before it is read. {@code quarkus.http.limits.max-body-size} must leave room for the base64 of it.
         */
        @WithDefault("100M")
        MemorySize maxBytes();

        /** Room for the JSON around the attachments' base64 (the text, the envelope, the names) in a turn body. */
        @WithDefault("4M")
        MemorySize bodySlack();
    }

    interface Proxy {
        /** Base URL of inference-proxy-service ({@code PARLEY_PROXY_URL}). */
        @WithDefault("http://127.0.0.1:8082")
        String url();

        /** Connect timeout towards the proxy. */
        @WithDefault("5s")
        Duration connectTimeout();

        /** Longest silence between two chunks of a running stream before the turn fails. */
        @WithDefault("120s")
        Duration idleTimeout();

        /** The base URL written into view-code snippets (what a user's own client would call). */
        @WithDefault("${parley.proxy.url}")
        String publicUrl();
    }

    interface Registry {
        /** Base URL of model-registry-service ({@code PARLEY_REGISTRY_URL}). */
        @WithDefault("http://127.0.0.1:8081")
        String url();
    }

    interface Turns {
        /** How long a finished turn stays in memory for replay before only the database answers for it. */
        @WithDefault("10m")
        Duration retention();

        /** How often the partial text of running turns is written to the database (what survives a crash). */
        @WithDefault("1s")
        Duration flushInterval();

        /** Upper bound of the whole generation (safety net; a healthy long stream stays well under it). */
        @WithDefault("15m")
        Duration maxDuration();

        /**
         * Shortest time between two writes of the shared turn log: the events of every turn of this replica published
         * meanwhile are written together in the next transaction (an idle writer writes at once).
         */
        @WithDefault("10ms")
        Duration writeInterval();

        /** How long a running turn's lease holds without a heartbeat of its replica. */
        @WithDefault("15s")
        Duration lease();

        /** How often a replica renews the leases of its running turns (and checks for missed stop requests). */
        @WithDefault("3s")
        Duration heartbeatInterval();

        /** How often each replica looks for running turns whose replica is gone ({@link #takeoverGrace()}). */
        @WithDefault("3s")
        Duration takeoverInterval();

        /**
         * How long after its lease ran out another replica finishes a turn as interrupted: lease + grace + the
         * takeover interval stays under 30 s (15 + 5 + 3 by default).
         */
        @WithDefault("5s")
        Duration takeoverGrace();

        /** On SIGTERM, how long running turns may go on before they are ended as interrupted (under the pod's grace). */
        @WithDefault("25s")
        Duration drainTimeout();

        /** How long a stop waits for the turn's final state to be stored before answering 503 (retry the stop). */
        @WithDefault("10s")
        Duration stopTimeout();
    }
}
