package io.parley.usage;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.everyItem;
import static org.hamcrest.Matchers.hasSize;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import javax.sql.DataSource;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.parley.testsupport.PostgresResource;
import io.parley.testsupport.TestTokens;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * Usage is keyed by the token's {@code sub}, the user name kept for display and admin filters (issue #15 point 8, ADR
 * 0011): a user recreated with a reused user name (a new {@code sub}) does not see the old user's usage; records without
 * a subject (written before the migration, or sent by an older proxy) are claimed only by the first subject seen for
 * their user name.
 */
@QuarkusTest
@QuarkusTestResource(PostgresResource.class)
class IdentitySecurityTest {

    private static final Instant T = Instant.parse("2026-11-21T09:00:00Z");

    @Inject
    DataSource dataSource;

    @Test
    void recreatedUserWithReusedNameDoesNotSeeTheOldUsersUsage() {
        String name = "nina-" + UUID.randomUUID();
        String model = "id-" + UUID.randomUUID();
        Events.store(List.of(withSub(Events.event(name, model, T), "nina-original"),
                withSub(Events.event(name, model, T.plusSeconds(1)), "nina-original")));

        String recreated = TestTokens.person("nina-recreated", name, "user");
        given().auth().oauth2(recreated).queryParam("model", model).get("/v1/usage/me")
                .then().statusCode(200).body("data", hasSize(0));
        given().auth().oauth2(recreated).queryParam("model", model).get("/v1/usage/me/summary")
                .then().statusCode(200).body("totals.calls", equalTo(0));

        given().auth().oauth2(TestTokens.person("nina-original", name, "user")).queryParam("model", model)
                .get("/v1/usage/me").then().statusCode(200).body("data", hasSize(2));
    }

    @Test
    void eventsOfAnOlderProxyWithoutSubjectGoToTheNamesRecordedSubjectOnly() {
        String name = "omar-" + UUID.randomUUID();
        String model = "id-" + UUID.randomUUID();
        // the newer proxy's event records the name's subject; the older proxy's event (no user_sub) follows it
        Events.store(List.of(withSub(Events.event(name, model, T), "omar-original")));
        Events.store(List.of(Events.event(name, model, T.plusSeconds(1))));

        given().auth().oauth2(TestTokens.person("omar-recreated", name, "user")).queryParam("model", model)
                .get("/v1/usage/me").then().statusCode(200).body("data", hasSize(0));
        given().auth().oauth2(TestTokens.person("omar-original", name, "user")).queryParam("model", model)
                .get("/v1/usage/me").then().statusCode(200).body("data", hasSize(2));
    }

    @Test
    void legacyRecordsAndRollupsAreClaimedByTheFirstSubjectOfTheirNameAndNeverAgain() throws Exception {
        String name = "pia-" + UUID.randomUUID();
        String model = "id-" + UUID.randomUUID();
        Events.store(List.of(Events.event(name, model, T)));
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement("INSERT INTO usage_daily (day, user_id, model, status, calls,"
                        + " prompt_tokens, completion_tokens, ttft_count, latency_count, tokens_per_sec_sum,"
                        + " tokens_per_sec_count) VALUES ('2026-01-05', ?, ?, 'ok', 3, 30, 90, 0, 0, 0, 0)")) {
            ps.setString(1, name);
            ps.setString(2, model);
            ps.executeUpdate();
        }

        given().auth().oauth2(TestTokens.person("pia-first", name, "user")).queryParam("model", model)
                .get("/v1/usage/me/summary").then().statusCode(200).body("totals.calls", equalTo(4));
        given().auth().oauth2(TestTokens.person("pia-reused", name, "user")).queryParam("model", model)
                .get("/v1/usage/me/summary").then().statusCode(200).body("totals.calls", equalTo(0));
        given().auth().oauth2(TestTokens.person("pia-reused", name, "user")).queryParam("model", model)
                .get("/v1/usage/me").then().statusCode(200).body("data", hasSize(0));
    }

    @Test
    void adminsFilterByUserNameForDisplayAndBySubjectForOnePerson() {
        String name = "quin-" + UUID.randomUUID();
        String model = "id-" + UUID.randomUUID();
        Events.store(List.of(withSub(Events.event(name, model, T), "quin-original"),
                withSub(Events.event(name, model, T.plusSeconds(1)), "quin-recreated")));

        given().auth().oauth2(Events.ADMIN).queryParam("user", name).get("/admin/usage")
                .then().statusCode(200).body("data", hasSize(2)).body("data.user_id", everyItem(equalTo(name)));
        given().auth().oauth2(Events.ADMIN).queryParam("subject", "quin-recreated").get("/admin/usage")
                .then().statusCode(200).body("data", hasSize(1));
    }

    @Test
    void aTokenWithoutSubjectIsRefused() {
        given().auth().oauth2(TestTokens.token("rhea", java.util.Set.of("user"), Map.of("sub", "")))
                .get("/v1/usage/me").then().statusCode(401);
    }

    private static Map<String, Object> withSub(Map<String, Object> event, String sub) {
        return Events.with(event, "user_sub", sub);
    }
}
