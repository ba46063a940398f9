package io.parley.chat;

import static io.parley.chat.Api.ALICE;
import static io.parley.chat.Api.BOB;
import static io.parley.chat.Api.as;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import jakarta.inject.Inject;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.parley.chat.repository.ChatRepository;
import io.parley.chat.repository.MessageRow;
import io.parley.testsupport.PostgresResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;

/**
 * A session of 2,000+ messages is answered a page at a time (issue 15 point 7): {@code GET /v1/chat/sessions/{id}}
 * holds the newest 200 (by the order they were stored) with {@code messages_page}, and following {@code next} (or the
 * {@code Link} header) reads every older message exactly once, each with the parent it was stored with, so the branch
 * tree the page draws from them is the stored one.
 */
@QuarkusTest
@QuarkusTestResource(PostgresResource.class)
@QuarkusTestResource(FakeUpstreams.class)
class MessagePagingTest {

    static final int CHAIN = 2100;

    @Inject
    ChatRepository repository;

    /** One long chat for the class (2,102 rows stored once). */
    static String session;
    /** Every stored message id in the order it was stored, and its parent. */
    static final List<UUID> stored = new ArrayList<>();
    static final Map<UUID, UUID> parents = new HashMap<>();
    static UUID edited;
    static UUID editedAnswer;

    @BeforeEach
    void aLongChatWithAnEditDeepInIt() {
        if (session != null) {
            return;
        }
        session = Api.createSession(ALICE, "sim-model");
        UUID sid = UUID.fromString(session);
        Instant t = Instant.parse("2026-01-01T00:00:00Z");
        UUID parent = null;
        for (int i = 0; i < CHAIN; i++) {
            parent = store(sid, i % 2 == 0 ? MessageRow.USER : MessageRow.ASSISTANT, "message " + i, parent,
                    t.plusSeconds(i));
        }
        // the user edited message 1000 (a user message) long after: a sibling of it, with its own answer, stored last
        UUID parentOf1000 = parents.get(stored.get(1000));
        edited = store(sid, MessageRow.USER, "message 1000, edited", parentOf1000, t.plusSeconds(CHAIN + 1));
        editedAnswer = store(sid, MessageRow.ASSISTANT, "answer to the edit", edited, t.plusSeconds(CHAIN + 2));
    }

    private UUID store(UUID sid, String role, String content, UUID parent, Instant at) {
        UUID id = UUID.randomUUID();
        repository.insertMessage(new MessageRow(id, sid, role, content, MessageRow.COMPLETE, null, null, null, parent,
                null, at, null));
        stored.add(id);
        parents.put(id, parent);
        return id;
    }

    @Test
    void sessionHoldsTheNewest200MessagesAndTheLinkToTheOlderOnes() {
        JsonPath s = Api.session(ALICE, session);
        List<String> ids = s.getList("messages.id");
        assertEquals(200, ids.size());
        assertEquals(stored.subList(stored.size() - 200, stored.size()).stream().map(UUID::toString).toList(), ids,
                "the newest 200 as stored, oldest first");
        assertEquals(200, s.getInt("messages_page.limit"));
        assertTrue(s.getBoolean("messages_page.has_more"));
        assertEquals("/v1/chat/sessions/" + session + "/messages?before=" + ids.get(0) + "&limit=200",
                s.getString("messages_page.next"));
        // the edit and its answer (the newest turn) are in the first page, with the parent deep in the older pages
        assertEquals(parents.get(edited).toString(), s.getString("messages.find { it.id == '" + edited + "' }.parent_id"));
        assertEquals(edited.toString(),
                s.getString("messages.find { it.id == '" + editedAnswer + "' }.parent_id"));
    }

    @Test
    void followingNextReadsEveryMessageOnceWithItsStoredParent() {
        List<String> all = new ArrayList<>(Api.session(ALICE, session).getList("messages.id"));
        Map<String, String> parentOf = new HashMap<>();
        collectParents(Api.session(ALICE, session), parentOf);
        String next = Api.session(ALICE, session).getString("messages_page.next");
        int pages = 1;
        while (next != null) {
            Response r = as(ALICE).get(next);
            r.then().statusCode(200);
            JsonPath page = r.jsonPath();
            List<String> ids = page.getList("data.id");
            assertFalse(ids.isEmpty());
            all.addAll(0, ids);
            collectParents(page, parentOf);
            String following = page.getString("next");
            if (following != null) {
                assertEquals("<" + following + ">; rel=\"next\"", r.getHeader("Link"));
                assertTrue(page.getBoolean("has_more"));
            } else {
                assertNull(r.getHeader("Link"));
                assertFalse(page.getBoolean("has_more"));
            }
            next = following;
            pages++;
        }
        assertEquals(11, pages, "2,102 messages in pages of 200");
        assertEquals(stored.stream().map(UUID::toString).toList(), all, "every message once, in the stored order");
        Set<String> seen = new HashSet<>(all);
        for (UUID id : stored) {
            UUID parent = parents.get(id);
            assertEquals(parent == null ? null : parent.toString(), parentOf.get(id.toString()),
                    "parent of " + id);
            assertTrue(parent == null || seen.contains(parent.toString()), "the parent is on some page");
        }
    }

    private static void collectParents(JsonPath page, Map<String, String> parentOf) {
        String root = page.get("messages") != null ? "messages" : "data";
        List<Map<String, Object>> messages = page.getList(root);
        for (Map<String, Object> m : messages) {
            parentOf.put((String) m.get("id"), (String) m.get("parent_id"));
        }
    }

    @Test
    void aSmallerLimitAndACursorReadThePageBeforeIt() {
        String before = stored.get(1000).toString();
        JsonPath page = as(ALICE).queryParam("before", before).queryParam("limit", "3")
                .get("/v1/chat/sessions/" + session + "/messages").then().statusCode(200).extract().jsonPath();
        assertEquals(List.of(stored.get(997).toString(), stored.get(998).toString(), stored.get(999).toString()),
                page.getList("data.id"));
        assertEquals(3, page.getInt("limit"));
        // the first page of the session: no next
        JsonPath first = as(ALICE).queryParam("before", stored.get(2).toString())
                .get("/v1/chat/sessions/" + session + "/messages").then().statusCode(200).extract().jsonPath();
        assertEquals(2, first.getList("data").size());
        assertNull(first.getString("next"));
        assertFalse(first.getBoolean("has_more"));
    }

    @Test
    void badLimitsAndCursorsAnswer400NamingTheParameter() {
        String path = "/v1/chat/sessions/" + session + "/messages";
        for (String limit : List.of("0", "1001", "many", "-5")) {
            as(ALICE).queryParam("limit", limit).get(path).then().statusCode(400)
                    .body("error.param", equalTo("limit")).body("error.type", equalTo("invalid_request_error"));
        }
        as(ALICE).queryParam("before", "not-an-id").get(path).then().statusCode(400)
                .body("error.param", equalTo("before"));
        String other = Api.createSession(ALICE, "sim-model");
        UUID elsewhere = UUID.randomUUID();
        repository.insertMessage(new MessageRow(elsewhere, UUID.fromString(other), MessageRow.USER, "x",
                MessageRow.COMPLETE, null, null, null, null, null, Instant.now(), null));
        as(ALICE).queryParam("before", elsewhere.toString()).get(path).then().statusCode(400)
                .body("error.param", equalTo("before"))
                .body("error.message", equalTo("before is not a message of this session"));
    }

    @Test
    void anotherUsersSessionPagesAnswer404() {
        as(BOB).get("/v1/chat/sessions/" + session + "/messages").then().statusCode(404);
        as(BOB).queryParam("before", stored.get(5).toString()).get("/v1/chat/sessions/" + session + "/messages")
                .then().statusCode(404);
    }

    @Test
    void aShortSessionIsOnePageWithoutNext() {
        String small = Api.createSession(ALICE, "sim-model");
        as(ALICE).body("{\"role\":\"user\",\"content\":\"hi\"}").post("/v1/chat/sessions/" + small + "/messages")
                .then().statusCode(201);
        as(ALICE).get("/v1/chat/sessions/" + small).then().statusCode(200)
                .body("messages.size()", equalTo(1))
                .body("messages_page.has_more", equalTo(false))
                .body("messages_page.next", nullValue());
    }

    @Test
    void theJsonExportStillHoldsEveryMessage() {
        JsonPath export = as(ALICE).get("/v1/chat/sessions/" + session + "/export?format=json").then().statusCode(200)
                .extract().jsonPath();
        assertEquals(stored.size(), export.getList("messages").size());
        assertNull(export.get("messages_page"));
        assertNotNull(export.getString("id"));
    }
}
