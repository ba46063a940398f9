package io.parley.chat;

import static io.parley.chat.Api.as;
import static io.parley.chat.Api.createSession;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import javax.sql.DataSource;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.parley.testsupport.PostgresResource;
import io.parley.testsupport.TestTokens;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * Sessions are keyed by the token's {@code sub}, the user name kept for display (issue #15 point 8, ADR 0011): a user
 * deleted and recreated in Keycloak with the same user name (a new {@code sub}) does not inherit the old user's chats;
 * sessions written before the migration are claimed once, by the first subject seen for their user name.
 */
@QuarkusTest
@QuarkusTestResource(PostgresResource.class)
@QuarkusTestResource(FakeUpstreams.class)
class IdentitySecurityTest {

    @Inject
    DataSource dataSource;

    @Test
    void recreatedUserWithReusedNameDoesNotSeeTheOldUsersChats() {
        String oldCarol = TestTokens.person("carol-original", "carol", "user");
        String newCarol = TestTokens.person("carol-recreated", "carol", "user");
        String id = createSession(oldCarol, "sim-model");

        as(newCarol).get("/v1/chat/sessions").then().statusCode(200).body("data.id", not(hasItem(id)));
        as(newCarol).get("/v1/chat/sessions/" + id).then().statusCode(404);
        as(newCarol).delete("/v1/chat/sessions/" + id).then().statusCode(404);
        as(newCarol).body("{\"content\":\"hi\"}").accept("text/event-stream")
                .post("/v1/chat/sessions/" + id + "/turns").then().statusCode(404);

        as(oldCarol).get("/v1/chat/sessions/" + id).then().statusCode(200).body("id", equalTo(id));
    }

    @Test
    void sessionsFollowTheSubjectWhenTheUserNameChanges() {
        String id = createSession(TestTokens.person("sub-renamed", "dora", "user"), "sim-model");

        as(TestTokens.person("sub-renamed", "dora.smith", "user")).get("/v1/chat/sessions/" + id)
                .then().statusCode(200).body("id", equalTo(id));
    }

    @Test
    void legacySessionsAreClaimedByTheFirstSubjectOfTheirNameAndNeverAgain() throws Exception {
        UUID legacy = legacySession("erin");

        String first = TestTokens.person("erin-first", "erin", "user");
        as(first).get("/v1/chat/sessions").then().statusCode(200).body("data.id", hasItem(legacy.toString()));

        String reused = TestTokens.person("erin-reused", "erin", "user");
        as(reused).get("/v1/chat/sessions").then().statusCode(200).body("data", empty());
        as(reused).get("/v1/chat/sessions/" + legacy).then().statusCode(404);

        // a row an older replica writes for the name during the rollout is never the reused name's either
        UUID late = legacySession("erin");
        as(reused).get("/v1/chat/sessions/" + late).then().statusCode(404);
    }

    @Test
    void aPreRecordedSubjectKeepsLegacySessionsFromANewUserWithTheSameName() throws Exception {
        UUID legacy = legacySession("frank");
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement(
                        "INSERT INTO identity_claims (username, subject) VALUES ('frank', 'frank-from-keycloak')")) {
            ps.executeUpdate();
        }

        as(TestTokens.person("frank-recreated", "frank", "user")).get("/v1/chat/sessions/" + legacy)
                .then().statusCode(404);
        as(TestTokens.person("frank-from-keycloak", "frank", "user")).get("/v1/chat/sessions/" + legacy)
                .then().statusCode(200);
    }

    @Test
    void aTokenWithoutSubjectIsRefused() {
        String noSub = TestTokens.token("gina", Set.of("user"), Map.of("sub", ""));

        as(noSub).get("/v1/chat/sessions").then().statusCode(401);
    }

    private UUID legacySession(String user) throws Exception {
        UUID id = UUID.randomUUID();
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement("INSERT INTO chat_sessions (id, user_id, title, model_name, "
                        + "engine_type, params_json, created_at, updated_at) "
                        + "VALUES (?, ?, 'before the migration', 'sim-model', 'vllm', '{}'::jsonb, now(), now())")) {
            ps.setObject(1, id);
            ps.setString(2, user);
            ps.executeUpdate();
        }
        return id;
    }
}
