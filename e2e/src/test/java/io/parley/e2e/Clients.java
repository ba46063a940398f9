package io.parley.e2e;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.hasItem;

import java.time.Duration;

import io.parley.e2e.platform.LocalPlatform;
import io.restassured.http.ContentType;
import io.restassured.specification.RequestSpecification;

/** Tokens from the real Keycloak and request specs for the platform's services. */
public final class Clients {

    private Clients() {
    }

    /** An access token for one of the realm's users, through the public client {@code parley-cli} (password grant). */
    public static String token(LocalPlatform platform, String user) {
        return given()
                .contentType(ContentType.URLENC)
                .formParam("grant_type", "password")
                .formParam("client_id", "parley-cli")
                .formParam("username", user)
                .formParam("password", user)
                .when().post(platform.tokenUrl())
                .then().statusCode(200)
                .extract().path("access_token");
    }

    /** Waits until the registry, seen through chat-service, lists the model as running (its first probe succeeded). */
    public static void awaitRunning(LocalPlatform platform, String token, String model) {
        await().atMost(Duration.ofSeconds(60))
                .untilAsserted(() -> chat(platform, token).get("/v1/models/running")
                        .then().statusCode(200)
                        .body("models.name", hasItem(model)));
    }

    public static RequestSpecification chat(LocalPlatform platform, String token) {
        return given().baseUri(platform.chatUrl()).auth().oauth2(token).contentType(ContentType.JSON);
    }

    public static RequestSpecification usage(LocalPlatform platform, String token) {
        return given().baseUri(platform.usageUrl()).auth().oauth2(token).accept(ContentType.JSON);
    }
}
