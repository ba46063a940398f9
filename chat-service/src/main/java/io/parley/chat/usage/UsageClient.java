package io.parley.chat.usage;

import java.util.Map;
import java.util.function.Supplier;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.ProcessingException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;

import org.eclipse.microprofile.rest.client.inject.RestClient;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.parley.chat.service.ApiException;
import io.quarkus.logging.Log;

/**
 * usage-service, called with the caller's own token so that it applies its own authorization again. Admins are sent to
 * {@code /admin/usage...} (everyone's records), everybody else to {@code /v1/usage/me...} (usage-service restricts
 * that view to the token's user whatever the filters say). Owns the error translation: an unreachable usage-service
 * is 503 {@code usage_unavailable}, a 5xx is 502 {@code usage_error}, its own 4xx error JSON is relayed with its
 * status.
 */
@ApplicationScoped
public class UsageClient {

    /** What usage-service answered, relayed as is. */
    public record Relayed(int status, String contentType, String contentDisposition, String body) {
    }

    public enum View {
        RECORDS,
        SUMMARY
    }

    private final UsageApi api;
    private final ObjectMapper mapper;

    public UsageClient(@RestClient UsageApi api, ObjectMapper mapper) {
        this.api = api;
        this.mapper = mapper;
    }

    public Relayed fetch(View view, boolean admin, Map<String, String> query, boolean csv, String accessToken) {
        String auth = "Bearer " + accessToken;
        String accept = csv ? "text/csv" : "application/json";
        Relayed relayed = call(switch (view) {
            case RECORDS -> admin ? () -> api.adminRecords(query, auth, accept) : () -> api.myRecords(query, auth, accept);
            case SUMMARY -> admin ? () -> api.adminSummary(query, auth, accept) : () -> api.mySummary(query, auth, accept);
        });
        if (relayed.status() >= 500) {
            Log.warnf("usage-service answered %d for the %s view", relayed.status(), view);
            throw ApiException.upstream(502, "usage_error", "usage service answered " + relayed.status());
        }
        if (relayed.status() >= 400 && !isErrorJson(relayed.body())) {
            throw new ApiException(relayed.status(), "upstream_error", "usage_error", null,
                    "usage service answered " + relayed.status());
        }
        return relayed;
    }

    private boolean isErrorJson(String body) {
        try {
            JsonNode node = mapper.readTree(body);
            return node != null && node.path("error").isObject();
        } catch (Exception e) {
            return false;
        }
    }

    private static Relayed call(Supplier<Response> call) {
        try (Response response = call.get()) {
            return relayed(response);
        } catch (WebApplicationException e) {
            return relayed(e.getResponse());
        } catch (ProcessingException e) {
            Log.warnf("usage-service unreachable: %s", e.getMessage());
            throw ApiException.upstream(503, "usage_unavailable", "usage service is unavailable");
        }
    }

    private static Relayed relayed(Response response) {
        String body;
        try {
            body = response.hasEntity() ? response.readEntity(String.class) : "";
        } catch (RuntimeException e) {
            body = "";
        }
        return new Relayed(response.getStatus(), response.getHeaderString(HttpHeaders.CONTENT_TYPE),
                response.getHeaderString("Content-Disposition"), body);
    }
}
