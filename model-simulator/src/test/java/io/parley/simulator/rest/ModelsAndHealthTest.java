package io.parley.simulator.rest;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.emptyString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.nullValue;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;

@QuarkusTest
class ModelsAndHealthTest {

    @Test
    void modelsListsTheDemoModelsInVllmShapeWithMaxModelLen() {
        given().get("/v1/models").then().statusCode(200)
                .body("object", equalTo("list"))
                .body("data.id", hasItems("llama-3.1-8b-sim", "echo-sim"))
                .body("data.find { it.id == 'llama-3.1-8b-sim' }.max_model_len", equalTo(8192))
                .body("data.find { it.id == 'llama-3.1-8b-sim' }.object", equalTo("model"))
                .body("data.find { it.id == 'llama-3.1-8b-sim' }.owned_by", equalTo("vllm"))
                .body("data.find { it.id == 'llama-3.1-8b-sim' }.root", equalTo("meta-llama/Llama-3.1-8B-Instruct"))
                .body("data.find { it.id == 'llama-3.1-8b-sim' }.parent", nullValue())
                .body("data.find { it.id == 'echo-sim' }.max_model_len", equalTo(4096))
                .body("data.find { it.id == 'echo-sim' }.root", equalTo("echo-sim"));
    }

    @Test
    void healthAnswers200WithAnEmptyBodyLikeVllm() {
        given().get("/health").then().statusCode(200).body(emptyString());
    }

    @Test
    void quarkusHealthIsUp() {
        given().get("/q/health/ready").then().statusCode(200).body("status", equalTo("UP"));
    }

    @Test
    void metricsArePrometheusTextOnTheVllmPathAndUnderQ() {
        given().get("/metrics").then().statusCode(200)
                .body(containsString("simulator_client_disconnects_total{model=\"llama-3.1-8b-sim\""))
                .body(containsString("simulator_generated_tokens_total"))
                .body(containsString("simulator_active_streams"));
        given().get("/q/metrics").then().statusCode(200)
                .body(containsString("simulator_client_disconnects_total"));
    }
}
