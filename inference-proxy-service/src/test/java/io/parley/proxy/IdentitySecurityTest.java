package io.parley.proxy;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasSize;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
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
import io.vertx.core.json.JsonObject;

/**
 * API keys and usage are keyed by the token's {@code sub}, the user name kept for display (issue #15 point 8, ADR
 * 0011): a user recreated with a reused user name (a new {@code sub}) neither sees nor revokes the old user's keys;
 * keys created before the migration are claimed once, by the first subject seen for their owner's name.
 */
@QuarkusTest
@QuarkusTestResource(PostgresResource.class)
@QuarkusTestResource(FakeServices.class)
class IdentitySecurityTest {

    @Inject
    DataSource dataSource;

    @Test
    void recreatedUserWithReusedNameDoesNotSeeOrRevokeTheOldUsersKeys() {
        String oldHank = "Bearer " + TestTokens.person("hank-original", "hank", "user");
        String newHank = "Bearer " + TestTokens.person("hank-recreated", "hank", "user");
        String id = given().header("Authorization", oldHank).contentType("application/json")
                .body("{\"name\":\"laptop\"}").post("/v1/keys").then().statusCode(201).extract().path("id");

        given().header("Authorization", newHank).get("/v1/keys").then().statusCode(200).body("data", empty());
        given().header("Authorization", newHank).delete("/v1/keys/" + id).then().statusCode(404);

        given().header("Authorization", oldHank).get("/v1/keys").then().statusCode(200)
                .body("data", hasSize(1)).body("data[0].id", equalTo(id)).body("data[0].revoked_at", equalTo(null));
    }

    @Test
    void usageOfACallCarriesTheSubjectAndTheNameForDisplay() {
        String correlation = UUID.randomUUID().toString();
        given().header("Authorization", "Bearer " + TestTokens.person("ivy-sub", "ivy", "user"))
                .header("X-Correlation-Id", correlation).contentType("application/json")
                .body(ChatCompletionsStreamingTest.chat("sim-chat", false).encode())
                .post("/v1/chat/completions").then().statusCode(200);

        JsonObject event = await().atMost(Duration.ofSeconds(15))
                .until(() -> Outbox.byCorrelationId(dataSource, correlation), r -> r.isPresent()).orElseThrow().event();
        assertEquals("ivy-sub", event.getString("user_sub"));
        assertEquals("ivy", event.getString("user_id"));
    }

    @Test
    void aKeysCallsCarryItsOwnersSubject() {
        String key = given().header("Authorization", "Bearer " + TestTokens.person("jack-sub", "jack", "user"))
                .contentType("application/json").body("{\"name\":\"ci\"}").post("/v1/keys")
                .then().statusCode(201).extract().path("key");
        String correlation = UUID.randomUUID().toString();
        given().header("Authorization", "Bearer " + key).header("X-Correlation-Id", correlation)
                .contentType("application/json").body(ChatCompletionsStreamingTest.chat("sim-chat", false).encode())
                .post("/v1/chat/completions").then().statusCode(200);

        JsonObject event = await().atMost(Duration.ofSeconds(15))
                .until(() -> Outbox.byCorrelationId(dataSource, correlation), r -> r.isPresent()).orElseThrow().event();
        assertEquals("jack-sub", event.getString("user_sub"));
        assertEquals("jack", event.getString("user_id"));
    }

    @Test
    void legacyKeysAreClaimedByTheFirstSubjectOfTheirOwnersNameAndNeverAgain() throws Exception {
        String legacy = legacyKey("kim");

        String first = "Bearer " + TestTokens.person("kim-first", "kim", "user");
        given().header("Authorization", first).get("/v1/keys").then().statusCode(200)
                .body("data.id", hasItem(legacy));

        String reused = "Bearer " + TestTokens.person("kim-reused", "kim", "user");
        given().header("Authorization", reused).get("/v1/keys").then().statusCode(200).body("data", empty());
        given().header("Authorization", reused).delete("/v1/keys/" + legacy).then().statusCode(404);
    }

    @Test
    void aLegacyKeyUsedBeforeItsOwnerSignsInStillWorksAndIsBilledByNameOnly() throws Exception {
        String secret = "prl_legacy-" + UUID.randomUUID();
        legacyKey("lena", secret);
        String correlation = UUID.randomUUID().toString();
        given().header("Authorization", "Bearer " + secret).header("X-Correlation-Id", correlation)
                .contentType("application/json").body(ChatCompletionsStreamingTest.chat("sim-chat", false).encode())
                .post("/v1/chat/completions").then().statusCode(200);

        JsonObject event = await().atMost(Duration.ofSeconds(15))
                .until(() -> Outbox.byCorrelationId(dataSource, correlation), r -> r.isPresent()).orElseThrow().event();
        assertEquals("lena", event.getString("user_id"));
        assertFalse(event.containsKey("user_sub") && event.getValue("user_sub") != null);
    }

    @Test
    void aTokenWithoutSubjectIsRefused() {
        String noSub = TestTokens.token("mia", Set.of("user"), Map.of("sub", ""));
        given().header("Authorization", "Bearer " + noSub).get("/v1/keys").then().statusCode(401);
        given().header("Authorization", "Bearer " + noSub).contentType("application/json")
                .body(ChatCompletionsStreamingTest.chat("sim-chat", false).encode())
                .post("/v1/chat/completions").then().statusCode(401);
    }

    private String legacyKey(String owner) throws Exception {
        return legacyKey(owner, "prl_legacy-" + UUID.randomUUID());
    }

    private String legacyKey(String owner, String secret) throws Exception {
        String id = "key_legacy" + UUID.randomUUID().toString().substring(0, 8);
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement("insert into api_keys (id, owner, name, display_prefix,"
                        + " secret_sha256) values (?, ?, 'before the migration', 'prl_legacy', encode(sha256(?::bytea),"
                        + " 'hex'))")) {
            ps.setString(1, id);
            ps.setString(2, owner);
            ps.setString(3, secret);
            ps.executeUpdate();
        }
        return id;
    }
}
