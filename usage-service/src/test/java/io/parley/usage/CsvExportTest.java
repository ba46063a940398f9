package io.parley.usage;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import io.parley.testsupport.PostgresResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

@QuarkusTest
@QuarkusTestResource(PostgresResource.class)
class CsvExportTest {

    @Test
    void filteredViewExportsAsCsvWithEscapingAndEveryRecord() {
        String model = "csv-" + UUID.randomUUID();
        Instant t = Instant.parse("2026-11-21T08:00:00Z");
        Map<String, Object> tricky = Events.event("csv-user", model, t.plusSeconds(1));
        tricky.put("error_type", "upstream said \"no\", then\nleft");
        tricky.put("metadata", Map.of("note", "a,b"));
        tricky.put("user_id", "=HYPERLINK(\"x\")");
        tricky.put("attachments", List.of());
        tricky.put("correlation_id", "c-1");
        Map<String, Object> plain = Events.event("csv-user", model, t);
        plain.put("correlation_id", "c-2");
        plain.put("attachments", List.of());
        // more records than one JSON page, to show the export is not paged
        Events.store(List.of(tricky, plain));

        String csv = given().auth().oauth2(Events.ADMIN).accept("text/csv").queryParam("model", model)
                .queryParam("limit", 1)
                .get("/admin/usage").then().statusCode(200)
                .contentType(startsWith("text/csv"))
                .header("Content-Disposition", startsWith("attachment"))
                .extract().asString();

        String[] lines = csv.split("\r\n", -1);
        assertEquals(4, lines.length, csv);
        assertEquals("request_id,timestamp,received_at,user_id,org_id,api_key_id,model,engine_type,deployment,"
                + "endpoint_kind,stream,prompt_tokens,completion_tokens,ttft_ms,latency_ms,tokens_per_sec,status,"
                + "error_type,correlation_id,source,metadata,attachments,bytes_delivered", lines[0]);
        // received_at is the server's clock: check it is a timestamp, then compare the rest exactly
        assertEquals(tricky.get("request_id") + ",2026-11-21T08:00:01Z,<received>,\"'=HYPERLINK(\"\"x\"\")\",,," + model
                + ",vllm,local-simulator,chat_completions,true,12,40,81.5,930.2,47.1,ok,"
                + "\"upstream said \"\"no\"\", then\nleft\",c-1,playground,\"{\"\"note\"\":\"\"a,b\"\"}\",[],",
                withoutReceivedAt(lines[1]));
        assertEquals(plain.get("request_id") + ",2026-11-21T08:00:00Z,<received>,csv-user,,," + model
                + ",vllm,local-simulator,chat_completions,true,12,40,81.5,930.2,47.1,ok,,c-2,playground,"
                + "\"{\"\"source\"\":\"\"playground\"\"}\",[],", withoutReceivedAt(lines[2]));
        assertEquals("", lines[3]);
    }

    private static String withoutReceivedAt(String line) {
        String[] head = line.split(",", 4);
        Instant.parse(head[2]);
        return head[0] + "," + head[1] + ",<received>," + head[3];
    }

    @Test
    void formatParameterSelectsCsvToo() {
        given().auth().oauth2(Events.ADMIN).queryParam("format", "csv").queryParam("model", "none-such")
                .get("/admin/usage").then().statusCode(200).contentType(startsWith("text/csv"));
        given().auth().oauth2(Events.ADMIN).queryParam("format", "xml").get("/admin/usage").then().statusCode(400);
    }
}
