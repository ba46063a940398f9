package io.parley.proxy.client;

import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.rest.client.inject.RestClient;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/** usage-service's ingest endpoint; blocking, called from the outbox publisher's worker thread. */
@ApplicationScoped
public class UsageClient {

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record IngestResult(int accepted, int duplicates, List<Rejected> rejected) {
        public IngestResult {
            rejected = rejected == null ? List.of() : List.copyOf(rejected);
        }
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Rejected(int index, String reason) {
    }

    private final UsageApi api;

    UsageClient(@RestClient UsageApi api) {
        this.api = api;
    }

    /** Delivers events given as JSON texts; throws when usage-service did not accept the batch. */
    public IngestResult deliver(List<String> eventJsons) {
        var body = new StringBuilder(64 + eventJsons.stream().mapToInt(String::length).sum() + eventJsons.size());
        body.append("{\"events\":[");
        for (int i = 0; i < eventJsons.size(); i++) {
            if (i > 0) {
                body.append(',');
            }
            body.append(eventJsons.get(i));
        }
        body.append("]}");
        return api.ingest(body.toString());
    }
}
