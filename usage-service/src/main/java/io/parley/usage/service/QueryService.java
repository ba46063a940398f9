package io.parley.usage.service;

import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;

import io.parley.usage.config.UsageConfig;
import io.parley.usage.model.Cursor;
import io.parley.usage.model.UsageFilter;
import io.parley.usage.model.UsagePage;
import io.parley.usage.model.UsageRecord;
import io.parley.usage.repository.IdentityClaims;
import io.parley.usage.repository.UsageRepository;

/** Reads usage records: keyset pages for the JSON API and a streamed CSV export of a whole filtered view. */
@ApplicationScoped
public class QueryService {

    private final UsageRepository repository;
    private final UsageConfig config;
    private final CsvFormat csv;
    private final IdentityClaims claims;

    public QueryService(UsageRepository repository, UsageConfig config, CsvFormat csv, IdentityClaims claims) {
        this.repository = repository;
        this.config = config;
        this.csv = csv;
        this.claims = claims;
    }

    /** A signed-in caller reading its own usage: the first subject of its name takes that name's older records. */
    public void claimOwnUsage(String subject, String name) {
        claims.claim(subject, name);
    }

    /**
     * One page, newest first. {@code limit} defaults to the configured page size and is capped at the configured
     * maximum.
     */
    public UsagePage page(UsageFilter filter, Optional<String> cursor, Optional<Integer> limit) {
        int size = limit.orElse(config.query().defaultLimit());
        if (size < 1) {
            throw UsageException.invalid("limit", "limit must be at least 1");
        }
        size = Math.min(size, config.query().maxLimit());
        Optional<Cursor> after;
        try {
            after = cursor.filter(c -> !c.isBlank()).map(Cursor::decode);
        } catch (IllegalArgumentException e) {
            throw UsageException.invalid("cursor", e.getMessage());
        }
        List<UsageRecord> rows = repository.page(filter, after, size + 1);
        if (rows.size() <= size) {
            return new UsagePage(rows, null);
        }
        List<UsageRecord> data = rows.subList(0, size);
        UsageRecord last = data.get(size - 1);
        return new UsagePage(List.copyOf(data), new Cursor(last.timestamp(), last.requestId()).encode());
    }

    /** Writes every record of the filtered view as CSV (RFC 4180, header first), row by row as they are read. */
    public void exportCsv(UsageFilter filter, OutputStream out) throws IOException {
        Writer writer = new OutputStreamWriter(out, StandardCharsets.UTF_8);
        csv.writeHeader(writer);
        try {
            repository.stream(filter, row -> csv.writeRecord(writer, row));
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException("CSV export failed: " + e.getMessage(), e);
        }
        writer.flush();
    }
}
