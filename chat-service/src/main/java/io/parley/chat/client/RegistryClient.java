package io.parley.chat.client;

import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.ProcessingException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;

import org.eclipse.microprofile.rest.client.inject.RestClient;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.parley.chat.service.ApiException;
import io.quarkus.logging.Log;

/**
 * The registry, called with the user's own token. Owns the error translation: a registry that cannot be reached
 * answers 503, its own error JSON is relayed with its status.
 */
@ApplicationScoped
public class RegistryClient {

    /** A response relayed as is: status and JSON body. */
    public record Relayed(int status, String body) {
    }

    private final RegistryApi api;
    private final ObjectMapper mapper;

    public RegistryClient(@RestClient RegistryApi api, ObjectMapper mapper) {
        this.api = api;
        this.mapper = mapper;
    }

    public Relayed running(String accessToken) {
        return call(() -> api.running(bearer(accessToken)));
    }

    /**
     * Every model entry the registry knows (all states, with their reasons), as {@code GET /v1/models} lists them;
     * 502 when the registry answers otherwise.
     */
    public JsonNode models(String accessToken) {
        return list(call(() -> api.all(bearer(accessToken))), "models");
    }

    /** The entries of {@code GET /v1/models/running}; 502 when the registry answers otherwise. */
    public JsonNode runningModels(String accessToken) {
        return list(running(accessToken), "running models");
    }

    private JsonNode list(Relayed r, String what) {
        if (r.status() != 200) {
            throw ApiException.upstream(502, "registry_error", "model registry answered " + r.status() + " for its "
                    + what);
        }
        try {
            JsonNode models = mapper.readTree(r.body()).path("models");
            return models.isArray() ? models : mapper.createArrayNode();
        } catch (JsonProcessingException e) {
            throw ApiException.upstream(502, "registry_error", "model registry answered an unreadable list of " + what);
        }
    }

    public Relayed constraintsRaw(String name, String accessToken) {
        return call(() -> api.constraints(name, bearer(accessToken)));
    }

    /** The model's constraints, or empty when the registry does not know the model (404). */
    public Optional<JsonNode> constraints(String name, String accessToken) {
        Relayed r = constraintsRaw(name, accessToken);
        if (r.status() == 404) {
            return Optional.empty();
        }
        if (r.status() != 200) {
            throw ApiException.upstream(502, "registry_error",
                    "model registry answered " + r.status() + " for the constraints of '" + name + "'");
        }
        try {
            return Optional.of(mapper.readTree(r.body()));
        } catch (JsonProcessingException e) {
            throw ApiException.upstream(502, "registry_error", "model registry answered unreadable constraints");
        }
    }

    private Relayed call(java.util.function.Supplier<Response> call) {
        try (Response response = call.get()) {
            return new Relayed(response.getStatus(), body(response));
        } catch (WebApplicationException e) {
            Response response = e.getResponse();
            return new Relayed(response.getStatus(), body(response));
        } catch (ProcessingException e) {
            Log.warnf("model registry unreachable: %s", e.getMessage());
            throw ApiException.upstream(503, "registry_unavailable", "model registry is unavailable");
        }
    }

    private static String body(Response response) {
        try {
            return response.hasEntity() ? response.readEntity(String.class) : "";
        } catch (RuntimeException e) {
            return "";
        }
    }

    private static String bearer(String token) {
        return "Bearer " + token;
    }
}
