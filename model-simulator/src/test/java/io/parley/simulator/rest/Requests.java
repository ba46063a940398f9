package io.parley.simulator.rest;

import static io.restassured.RestAssured.given;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.restassured.http.ContentType;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;

/** Request bodies and calls shared by the tests. */
final class Requests {

    private Requests() {
    }

    static Map<String, Object> chat(String model, String userText) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("model", model);
        body.put("messages", List.of(Map.of("role", "user", "content", userText)));
        return body;
    }

    static Map<String, Object> with(Map<String, Object> body, String key, Object value) {
        body.put(key, value);
        return body;
    }

    static RequestSpecification json(Object body) {
        return given().contentType(ContentType.JSON).body(body);
    }

    static Response postChat(Object body) {
        return json(body).post("/v1/chat/completions");
    }
}
