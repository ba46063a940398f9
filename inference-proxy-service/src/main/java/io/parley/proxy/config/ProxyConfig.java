package io.parley.proxy.config;

import java.time.Duration;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** Settings of the inference proxy, all under {@code parley.proxy}. */
@ConfigMapping(prefix = "parley.proxy")
public interface ProxyConfig {

    /** The proxy's own token (client credentials) on calls to the registry and usage-service. */
    ServiceAuth serviceAuth();

    Registry registry();

    Upstream upstream();

    Outbox outbox();

    Limits limits();

    Auth auth();

    Spool spool();

    Shutdown shutdown();

    interface ServiceAuth {
        /** Ask the OIDC client for a token; off only in tests, where the fakes do not check tokens. */
        @WithDefault("true")
        boolean enabled();
    }

    interface Registry {
        /** How often the model cache is refreshed from {@code GET /v1/models/running} and {@code GET /v1/models}. */
        @WithDefault("5s")
        Duration refreshInterval();

        /** Follow the registry's change stream ({@code GET /v1/models/changes}); the periodic refresh is the fallback. */
        @WithDefault("true")
        boolean followChanges();

        /** Longest wait between two reconnect attempts of the change stream. */
        @WithDefault("10s")
        Duration changesMaxBackoff();

        /** An unknown model triggers an immediate refresh, at most this often. */
        @WithDefault("500ms")
        Duration missRefreshMinInterval();
    }

    interface Upstream {
        /** TCP connect timeout to a serving endpoint. */
        @WithDefault("5s")
        Duration connectTimeout();

        /** Request sent → first content delta (streaming) before the call fails with 504 / an error event. */
        @WithDefault("120s")
        Duration firstTokenTimeout();

        /** Longest silence between two upstream chunks of a stream once it started. */
        @WithDefault("60s")
        Duration idleTimeout();

        /** Request sent → complete body for non-streaming calls. */
        @WithDefault("600s")
        Duration responseTimeout();

        /** Connections per upstream endpoint. */
        @WithDefault("1024")
        int maxConnectionsPerEndpoint();

        /** Attempts per call on different endpoints, only before the first byte (connect failures and 5xx). */
        @WithDefault("2")
        int maxAttempts();

        /** Consecutive failures after which an endpoint is skipped for {@link #ejectionTime()}. */
        @WithDefault("3")
        int ejectAfterFailures();

        @WithDefault("30s")
        Duration ejectionTime();
    }

    interface Outbox {
        /** How often the publisher delivers pending rows (also read by its {@code @Scheduled}). */
        @WithDefault("1s")
        Duration interval();

        /** Rows per delivery to usage-service. */
        @WithDefault("200")
        int batchSize();

        /** Batches per publisher run at most (a backlog drains in runs of this many batches). */
        @WithDefault("20")
        int maxBatchesPerRun();

        /**
         * How long the usage event of an ended call may wait for the events of calls ending after it, to be written to the
         * outbox in one transaction (0: at once). Queued events are written on shutdown.
         */
        @WithDefault("10ms")
        Duration writeDelay();

        /** Usage events kept in memory while the outbox insert fails (database down); beyond it they are dropped. */
        @WithDefault("100000")
        int retryCapacity();

        /** How often queued usage events are retried (also read by the recorder's {@code @Scheduled}). */
        @WithDefault("1s")
        Duration retryInterval();
    }

    interface Limits {
        /**
         * Largest request body (JSON, base64 attachments included) accepted; larger gets 413 before it is buffered (by
         * {@code Content-Length}, and by counting while reading). The default fits {@link #maxAttachmentBytes()} in
         * base64 plus 8 MiB for the rest: ceil(4/3 x 100 MiB) + 8 MiB, about 141 MiB. Keep
         * {@code quarkus.http.limits.max-body-size} above it.
         */
        @WithDefault("148198744")
        long maxRequestBytes();

        /**
         * The most bytes the multimodal content parts of one request may decode to, all parts together (summed by the
         * attachment audit after parsing); more gets 413 {@code request_too_large}. 100 MiB, as chat-service allows per
         * turn.
         */
        @WithDefault("104857600")
        long maxAttachmentBytes();

        /**
         * The most output tokens a call may ask for when the model's context length is not known (the registry entry has
         * no {@code max_model_len}); with a known context the cap is the context minus the prompt's estimate. A request
         * above the cap is answered 400; one that sets none is sent upstream with the cap (limits/OutputTokenCap).
         */
        @WithDefault("16384")
        int maxOutputTokens();

        /**
         * Longest time a call may relay: then the stream ends with an error event {@code max_stream_duration}, the
         * upstream is closed and the usage says {@code interrupted} with that error type.
         */
        @WithDefault("10m")
        Duration maxStreamDuration();

        /** Limits per user (the caller's identity, whatever credential it used). */
        Rate user();

        /** Limits per Parley API key (on top of its owner's user limits). */
        Rate apiKey();

        /**
         * How often each replica adds what it admitted to the shared counters in PostgreSQL and reads back what all
         * replicas admitted; decisions are taken from memory in between (the accuracy bound is in the README).
         */
        @WithDefault("1s")
        Duration syncInterval();

        /**
         * How long a replica's calls in flight keep counting for the others without the replica renewing them (at every
         * sync): a crashed replica's calls stop counting after this.
         */
        @WithDefault("15s")
        Duration leaseTtl();
    }

    /** Rate and concurrency limits of one subject; 0 turns a limit off. Above a limit: 429 with {@code Retry-After}. */
    interface Rate {
        /** Calls per minute (sliding window over the current and the previous minute). */
        @WithDefault("600")
        int requestsPerMinute();

        /** Prompt + completion tokens per minute, counted when calls end; checked before a call starts. */
        @WithDefault("0")
        long tokensPerMinute();

        /** Calls in flight at once (over all replicas). */
        @WithDefault("32")
        int maxConcurrent();
    }

    interface Auth {
        /**
         * Bearer JWTs remembered after OIDC verified them (keyed by the token), so a client's next call skips the
         * signature check; 0 turns the cache off. Parley API keys have a cache of their own ({@code api-key-cache-*}).
         */
        @WithDefault("10000")
        int tokenCacheSize();

        /** Longest time a verified token is remembered (never beyond its {@code exp}). */
        @WithDefault("60s")
        Duration tokenCacheTtl();

        /**
         * Parley API keys remembered after the database verified them (keyed by the secret's SHA-256), so a client's
         * next calls skip the database; 0 turns the cache off. A revoked key is dropped from every replica's cache as
         * soon as the revocation commits (PostgreSQL {@code NOTIFY}, ADR 0017).
         */
        @WithDefault("10000")
        int apiKeyCacheSize();

        /**
         * Longest time a verified API key is remembered: the bound on a revocation's reach should its notification be
         * lost on a connection not yet known to be broken. Also how often a key's {@code last_used_at} is refreshed.
         */
        @WithDefault("10s")
        Duration apiKeyCacheTtl();
    }

    interface Spool {
        /**
         * Keep usage in a local spool when the outbox cannot take it, and journal every call's start so a call in flight
         * at a crash is recorded as {@code interrupted} on the next start.
         */
        @WithDefault("true")
        boolean enabled();

        /** The spool directory (the chart mounts an emptyDir or a PVC here); relative to the working directory. */
        @WithDefault("usage-spool")
        String dir();

        /** Most bytes the spool may hold; beyond it records are not kept (counted, logged once). */
        @WithDefault("268435456")
        long maxBytes();
    }

    interface Shutdown {
        /**
         * After SIGTERM: readiness is DOWN at once, new calls are still served for this long (load balancers are
         * still sending them), then refused with 503 {@code server_shutting_down}.
         */
        @WithDefault("2s")
        Duration preStopDelay();

        /**
         * After the pre-stop delay, how long open calls may run to their end; a stream still open then gets an error
         * event {@code server_shutting_down} and is recorded {@code interrupted}. Keep pre-stop delay + drain time within
         * the pod's termination grace period (the chart checks it).
         */
        @WithDefault("10s")
        Duration drainTime();
    }
}
