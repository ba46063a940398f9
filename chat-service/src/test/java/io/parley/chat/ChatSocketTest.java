package io.parley.chat;

import static io.parley.chat.Api.ALICE;
import static io.parley.chat.Api.BOB;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import io.parley.testsupport.PostgresResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.path.json.JsonPath;

/** The same turn events over WebSocket, with authentication and ownership checked at the upgrade. */
@QuarkusTest
@QuarkusTestResource(PostgresResource.class)
@QuarkusTestResource(FakeUpstreams.class)
class ChatSocketTest {

    static final class Client implements WebSocket.Listener {
        final List<JsonPath> messages = new CopyOnWriteArrayList<>();
        private final StringBuilder partial = new StringBuilder();

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                messages.add(JsonPath.from(partial.toString()));
                partial.setLength(0);
            }
            ws.request(1);
            return null;
        }

        List<String> events() {
            return messages.stream().map(m -> m.getString("event")).toList();
        }
    }

    static WebSocket connect(String token, String sessionId, Client client) throws Exception {
        var builder = HttpClient.newHttpClient().newWebSocketBuilder();
        if (token != null) {
            builder.header("Authorization", "Bearer " + token);
        }
        return builder.buildAsync(URI.create("ws://localhost:" + RestAssured.port + "/ws/chat/" + sessionId), client)
                .get(10, TimeUnit.SECONDS);
    }

    @Test
    void aTurnOverWebSocketStreamsTheSameEventsAndIsStored() throws Exception {
        String id = Api.createSession(ALICE, "sim-model");
        Client client = new Client();
        WebSocket ws = connect(ALICE, id, client);
        ws.sendText("{\"type\":\"turn\",\"content\":\"over the socket\"}", true);
        await().atMost(Duration.ofSeconds(10)).until(() -> client.events().contains("message_end"));
        assertEquals(List.of("message_start", "delta", "delta", "delta", "delta", "delta", "metrics", "message_end"),
                client.events());
        JsonPath end = client.messages.get(7);
        assertEquals("complete", end.getString("data.status"));
        assertEquals("Hello from the simulator.", end.getString("data.content"));
        assertEquals(client.messages.get(0).getString("turn_id"), end.getString("data.id"));
        assertEquals(8, end.getInt("id"));
        ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye");
        JsonPath s = Api.session(ALICE, id);
        assertEquals("over the socket", s.getString("messages[0].content"));
        assertEquals("complete", s.getString("messages[1].status"));
    }

    @Test
    void stopOverWebSocketStoresThePartialAnswerAsStopped() throws Exception {
        String id = Api.createSession(ALICE, "hang-model");
        Client client = new Client();
        WebSocket ws = connect(ALICE, id, client);
        ws.sendText("{\"type\":\"turn\",\"content\":\"go on\"}", true);
        await().atMost(Duration.ofSeconds(10)).until(() -> client.events().stream().filter("delta"::equals).count() == 2);
        String turnId = client.messages.get(0).getString("turn_id");
        ws.sendText("{\"type\":\"stop\",\"turn_id\":\"" + turnId + "\"}", true);
        await().atMost(Duration.ofSeconds(10)).until(() -> client.events().contains("message_end"));
        assertEquals("stopped", client.messages.get(client.messages.size() - 1).getString("data.status"));
        assertEquals("stopped", Api.session(ALICE, id).getString("messages[1].status"));
        ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye");
    }

    @Test
    void invalidRequestsAnswerAnErrorEventNamingTheField() throws Exception {
        String id = Api.createSession(ALICE, "sim-model");
        Client client = new Client();
        WebSocket ws = connect(ALICE, id, client);
        ws.sendText("{\"type\":\"turn\",\"content\":\"\"}", true);
        await().atMost(Duration.ofSeconds(10)).until(() -> client.messages.size() == 1);
        assertEquals("error", client.messages.get(0).getString("event"));
        assertEquals("content", client.messages.get(0).getString("data.param"));
        assertEquals(400, client.messages.get(0).getInt("data.status"));
        ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye");
    }

    @Test
    void anotherUsersSessionIsRefusedWith404AndNoTokenWith401() {
        String id = Api.createSession(ALICE, "sim-model");
        assertEquals(404, handshakeStatus(BOB, id));
        assertEquals(404, handshakeStatus(ALICE, "00000000-0000-0000-0000-000000000000"));
        assertEquals(401, handshakeStatus(null, id));
    }

    private static int handshakeStatus(String token, String sessionId) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> connect(token, sessionId, new Client()));
        assertTrue(e.getCause() instanceof WebSocketHandshakeException, e.toString());
        return ((WebSocketHandshakeException) e.getCause()).getResponse().statusCode();
    }
}
