package io.parley.chat;

import static io.parley.chat.Api.ALICE;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.parley.chat.rest.ClientDisconnectLogFilter;
import io.parley.testsupport.PostgresResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;

/**
 * A client that goes away in the middle of a turn stream is an expected event: RESTEasy Reactive's SSE writer fails
 * the event it was writing (broken pipe, connection reset, closed channel) and would log that at ERROR
 * (quarkusio/quarkus#45249); chat-service records it at DEBUG and logs no ERROR.
 */
@QuarkusTest
@QuarkusTestResource(PostgresResource.class)
@QuarkusTestResource(FakeUpstreams.class)
class SseDisconnectTest {

    /** Every log record of the application while a test runs (the Quarkus {@code InMemoryLogHandler} pattern). */
    static final class Captured extends Handler {
        final List<LogRecord> records = new CopyOnWriteArrayList<>();

        @Override
        public void publish(LogRecord record) {
            records.add(record);
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }

        List<String> errors() {
            return records.stream().filter(r -> r.getLevel().intValue() >= Level.SEVERE.intValue())
                    .map(r -> r.getLoggerName() + ": " + r.getMessage()
                            + (r.getThrown() == null ? "" : " (" + r.getThrown() + ")"))
                    .toList();
        }

        boolean disconnectRecorded() {
            return records.stream().anyMatch(r -> ClientDisconnectLogFilter.class.getName().equals(r.getLoggerName())
                    && r.getLevel().intValue() < Level.INFO.intValue());
        }
    }

    private final Captured captured = new Captured();

    @BeforeEach
    void capture() {
        Logger.getLogger("").addHandler(captured);
    }

    @AfterEach
    void release() {
        Logger.getLogger("").removeHandler(captured);
    }

    @Test
    void aClientThatDropsATurnStreamWhileAnEventIsBeingWrittenLogsNoError() throws Exception {
        String id = Api.createSession(ALICE, "flood-model");
        try (Socket socket = new Socket()) {
            // a client that stops reading: the server's writes of the 32 MB stream stay pending in its buffers
            socket.setReceiveBufferSize(4096);
            socket.connect(new java.net.InetSocketAddress("localhost", RestAssured.port));
            byte[] body = "{\"content\":\"flood me\"}".getBytes(StandardCharsets.UTF_8);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /v1/chat/sessions/" + id + "/turns HTTP/1.1\r\nHost: localhost\r\n"
                    + "Authorization: Bearer " + ALICE + "\r\nContent-Type: application/json\r\n"
                    + "Accept: text/event-stream\r\nContent-Length: " + body.length + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.write(body);
            out.flush();
            InputStream in = socket.getInputStream();
            byte[] head = in.readNBytes(1024);
            assertTrue(new String(head, StandardCharsets.US_ASCII).startsWith("HTTP/1.1 200"));

            // the turn ends on the server whatever the client does; its stream is still being written
            await().atMost(Duration.ofSeconds(60)).until(() -> "complete"
                    .equals(Api.session(ALICE, id).getString("messages[1].status")));
            // the tab closes: the connection is reset with an event half written
            socket.setSoLinger(true, 0);
        }

        await().atMost(Duration.ofSeconds(30)).until(() -> captured.disconnectRecorded() || !captured.errors().isEmpty());
        assertEquals(List.of(), captured.errors());
        // the answer is whole in the database
        assertEquals(256 * 64 * 1024, Api.session(ALICE, id).getString("messages[1].content").length());
    }

    @Test
    void otherFailuresOfTheSseWriterAreStillErrors() {
        ClientDisconnectLogFilter filter = new ClientDisconnectLogFilter();
        LogRecord real = new LogRecord(Level.SEVERE, "Exception in SSE server handling, impossible to send it to client");
        real.setThrown(new IllegalStateException("could not serialize the event"));
        assertTrue(filter.isLoggable(real));
        LogRecord noCause = new LogRecord(Level.SEVERE, "Exception in SSE server handling, impossible to send it to client");
        assertTrue(filter.isLoggable(noCause));
        for (Throwable gone : List.of(new java.io.IOException("Connection reset by peer"),
                new java.io.IOException("writevAddresses(..) failed: Broken pipe"),
                new RuntimeException(new java.nio.channels.ClosedChannelException()),
                new io.vertx.core.http.HttpClosedException("Connection was closed"))) {
            LogRecord record = new LogRecord(Level.SEVERE, "Exception in SSE server handling, impossible to send it");
            record.setThrown(gone);
            assertEquals(false, filter.isLoggable(record), gone.toString());
        }
    }
}
