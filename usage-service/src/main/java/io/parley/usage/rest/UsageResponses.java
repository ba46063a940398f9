package io.parley.usage.rest;

import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;

import io.parley.usage.model.Summary;
import io.parley.usage.model.UsageFilter;
import io.parley.usage.service.QueryService;
import io.parley.usage.service.SummaryService;

/** Renders a usage view or summary as JSON or CSV; shared by the admin and the caller's-own resources. */
@ApplicationScoped
public class UsageResponses {

    private final QueryService query;
    private final SummaryService summaries;

    public UsageResponses(QueryService query, SummaryService summaries) {
        this.query = query;
        this.summaries = summaries;
    }

    Response records(UsageFilter filter, UsageQuery params, HttpHeaders headers, String fileName) {
        if (CsvSupport.wantsCsv(params.format, headers)) {
            StreamingOutput body = out -> query.exportCsv(filter, out);
            return csv(body, fileName);
        }
        return Response.ok(query.page(filter, Optional.ofNullable(params.cursor), params.limit()),
                MediaType.APPLICATION_JSON_TYPE).build();
    }

    Response summary(UsageFilter filter, UsageQuery params, HttpHeaders headers, String fileName) {
        Summary summary = summaries.summarise(filter, SummaryService.groupBy(params.groupBy));
        if (CsvSupport.wantsCsv(params.format, headers)) {
            StreamingOutput body = out -> summaries.writeCsv(summary, out);
            return csv(body, fileName);
        }
        return Response.ok(summary, MediaType.APPLICATION_JSON_TYPE).build();
    }

    private static Response csv(StreamingOutput body, String fileName) {
        return Response.ok(body, CsvSupport.TEXT_CSV + "; charset=UTF-8")
                .header("Content-Disposition", "attachment; filename=\"" + fileName + "\"")
                .build();
    }
}
