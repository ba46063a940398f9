package io.parley.testsupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;

/**
 * The slow and anonymous clients of issue 15 on a raw socket, the same for every service: each probe asserts what the
 * service must do and fails if it waits for bytes it should never read.
 */
public final class EdgeProbes {

    public static final int HUNDRED_MIB = 100 * 1024 * 1024;
    /** Each read waits at most this long: far above the timeouts the edge tests configure (2 s and 3 s). */
    public static final Duration READ_BOUND = Duration.ofSeconds(30);

    private EdgeProbes() {
    }

    /** A request head declaring a JSON body of {@code contentLength} bytes; {@code authorization} may be null. */
    public static String head(String method, String path, long contentLength, String authorization) {
        return method + " " + path + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                + (authorization == null ? "" : "Authorization: " + authorization + "\r\n")
                + "Content-Length: " + contentLength + "\r\n\r\n";
    }

    /**
     * Sends a head declaring a 100 MiB body and only its first bytes: the answer ({@code status}) must come without the
     * rest and the server must close the connection rather than wait for (read) the rest. Returns what was received.
     */
    public static String refusedBeforeTheBody(int port, String method, String path, String authorization, int status)
            throws IOException {
        return refusedBeforeTheBody(port, method, path, HUNDRED_MIB, authorization, status);
    }

    /** As {@link #refusedBeforeTheBody(int, String, String, String, int)} with a body of {@code declared} bytes. */
    public static String refusedBeforeTheBody(int port, String method, String path, long declared, String authorization,
            int status) throws IOException {
        try (RawHttp client = RawHttp.connect(port, READ_BOUND)) {
            client.send(head(method, path, declared, authorization) + "{\"model\":");
            String head = client.readHead(); // the rest of the 100 MiB was never sent
            assertEquals(status, RawHttp.status(head), method + " " + path + ": " + head);
            assertTrue(client.closedByServer(), method + " " + path + ": the server waited for the body it will not read");
            return client.received();
        }
    }

    /** A signed-in client that stops in the middle of its body: answered 408 and closed (by the body idle timeout). */
    public static void stalledBodyIsClosed(int port, String path, String authorization) throws IOException {
        try (RawHttp client = RawHttp.connect(port, READ_BOUND)) {
            client.send(head("POST", path, 1000, authorization) + "{\"m");
            String head = client.readHead();
            assertEquals(408, RawHttp.status(head), head);
            assertTrue(client.closedByServer());
            assertTrue(client.received().contains("request_timeout"), client.received());
        }
    }

    /** Slowloris: a request head that stops before its end holds no connection past the idle timeout. */
    public static void stalledHeadIsClosed(int port, String path) throws IOException {
        try (RawHttp client = RawHttp.connect(port, READ_BOUND)) {
            client.send("POST " + path + " HTTP/1.1\r\nHost: localhost\r\nX-Slow: 1\r\n");
            assertTrue(client.closedByServer(), "a half-sent request head kept its connection open");
            assertFalse(client.received().startsWith("HTTP/1.1 2"), client.received());
        }
    }

    /** A kept-alive connection stays usable after an answer, and is closed once idle (no request in flight). */
    public static void idleKeptAliveConnectionIsClosed(int port, String path) throws IOException {
        try (RawHttp client = RawHttp.connect(port, READ_BOUND)) {
            client.send("GET " + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n");
            client.readHead();
            assertTrue(client.closedByServer(), "an idle kept-alive connection was never closed");
        }
    }
}
