package io.parley.usage.service;

import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.ToLongFunction;

import jakarta.enterprise.context.ApplicationScoped;

import io.parley.usage.model.GroupBy;
import io.parley.usage.model.Summary;
import io.parley.usage.model.SummaryRow;
import io.parley.usage.model.UsageFilter;
import io.parley.usage.repository.Aggregate;
import io.parley.usage.repository.SummaryRepository;

/**
 * Summaries over raw records and daily rollups together, so that totals stay right after the retention job moved old
 * days into {@code usage_daily}.
 *
 * <p>
 * Counts, token sums, rates and mean tok/s are exact on both sides (rollups store sums and counts). Percentiles are
 * exact ({@code percentile_cont}) over raw records. A rolled-up row stores the exact p50/p95 of its own day, user,
 * model, source and status; where a group spans several such rows, or rows and raw records, its percentile is the
 * count-weighted mean of the parts' percentiles, which is an approximation, flagged by {@code percentiles_exact=false}.
 * Hourly summaries cover raw records only: rollups have no hours.
 */
@ApplicationScoped
public class SummaryService {

    static final List<String> CSV_HEADER = List.of("key", "calls", "ok", "errors", "cancelled", "prompt_tokens",
            "completion_tokens", "total_tokens", "ttft_ms_p50", "ttft_ms_p95", "latency_ms_p50", "latency_ms_p95",
            "tokens_per_sec_mean", "error_rate", "cancel_rate", "percentiles_exact");

    private final SummaryRepository repository;
    private final CsvFormat csv;

    public SummaryService(SummaryRepository repository, CsvFormat csv) {
        this.repository = repository;
        this.csv = csv;
    }

    public static GroupBy groupBy(String value) {
        if (value == null || value.isBlank()) {
            return GroupBy.MODEL;
        }
        return GroupBy.parse(value).orElseThrow(
                () -> UsageException.invalid("group_by", "group_by must be one of model, user, day, hour"));
    }

    public Summary summarise(UsageFilter filter, GroupBy groupBy) {
        boolean withRollups = groupBy != GroupBy.HOUR;
        List<SummaryRow> groups = merge(filter, Optional.of(groupBy), withRollups);
        if (groupBy == GroupBy.DAY || groupBy == GroupBy.HOUR) {
            groups.sort(Comparator.comparing(SummaryRow::key, Comparator.nullsFirst(Comparator.naturalOrder())));
        } else {
            groups.sort(Comparator.comparingLong(SummaryRow::calls).reversed()
                    .thenComparing(SummaryRow::key, Comparator.nullsFirst(Comparator.naturalOrder())));
        }
        List<SummaryRow> all = merge(filter, Optional.empty(), withRollups);
        SummaryRow totals = all.isEmpty() ? empty() : all.get(0);
        return new Summary(groupBy.label(), filter.from().orElse(null), filter.to().orElse(null), groups, totals);
    }

    public void writeCsv(Summary summary, OutputStream out) throws IOException {
        Writer writer = new OutputStreamWriter(out, StandardCharsets.UTF_8);
        csv.writeLine(writer, new ArrayList<>(CSV_HEADER));
        for (SummaryRow r : summary.groups()) {
            csv.writeLine(writer, List.of(CsvFormat.text(r.key()), r.calls(), r.ok(), r.errors(), r.cancelled(),
                    r.promptTokens(), r.completionTokens(), r.totalTokens(), CsvFormat.number(r.ttftMsP50()),
                    CsvFormat.number(r.ttftMsP95()), CsvFormat.number(r.latencyMsP50()), CsvFormat.number(r.latencyMsP95()),
                    CsvFormat.number(r.tokensPerSecMean()), r.errorRate(), r.cancelRate(), r.percentilesExact()));
        }
        writer.flush();
    }

    private List<SummaryRow> merge(UsageFilter filter, Optional<GroupBy> groupBy, boolean withRollups) {
        Map<String, List<Aggregate>> byKey = new LinkedHashMap<>();
        for (Aggregate a : repository.raw(filter, groupBy)) {
            byKey.computeIfAbsent(a.key(), k -> new ArrayList<>()).add(a);
        }
        if (withRollups) {
            for (Aggregate a : repository.daily(filter, groupBy)) {
                byKey.computeIfAbsent(a.key(), k -> new ArrayList<>()).add(a);
            }
        }
        List<SummaryRow> rows = new ArrayList<>(byKey.size());
        byKey.forEach((key, parts) -> rows.add(row(key, parts)));
        return rows;
    }

    private static SummaryRow empty() {
        return new SummaryRow(null, 0, 0, 0, 0, 0, 0, 0, null, null, null, null, null, 0, 0, true);
    }

    static SummaryRow row(String key, List<Aggregate> parts) {
        long calls = 0, errors = 0, cancelled = 0, prompt = 0, completion = 0, ttftN = 0, latN = 0, tpsN = 0;
        double tpsSum = 0;
        for (Aggregate a : parts) {
            calls += a.calls();
            errors += a.errors();
            cancelled += a.cancelled();
            prompt += a.promptTokens();
            completion += a.completionTokens();
            ttftN += a.ttftCount();
            latN += a.latencyCount();
            tpsSum += a.tokensPerSecSum();
            tpsN += a.tokensPerSecCount();
        }
        boolean exact = parts.stream().allMatch(Aggregate::exactPercentiles)
                && (parts.size() == 1 || parts.stream().noneMatch(Aggregate::rolledUp));
        return new SummaryRow(key, calls, calls - errors - cancelled, errors, cancelled, prompt, completion,
                prompt + completion,
                weighted(parts, Aggregate::ttftP50, Aggregate::ttftCount),
                weighted(parts, Aggregate::ttftP95, Aggregate::ttftCount),
                weighted(parts, Aggregate::latencyP50, Aggregate::latencyCount),
                weighted(parts, Aggregate::latencyP95, Aggregate::latencyCount),
                tpsN == 0 ? null : tpsSum / tpsN,
                calls == 0 ? 0 : (double) errors / calls,
                calls == 0 ? 0 : (double) cancelled / calls,
                exact);
    }

    private static Double weighted(List<Aggregate> parts, Function<Aggregate, Double> value,
            ToLongFunction<Aggregate> weight) {
        double sum = 0;
        long n = 0;
        for (Aggregate a : parts) {
            Double v = value.apply(a);
            long w = weight.applyAsLong(a);
            if (v != null && w > 0) {
                sum += v * w;
                n += w;
            }
        }
        return n == 0 ? null : sum / n;
    }
}
