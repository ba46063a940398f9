package io.parley.usage.model;

import java.util.List;

/** One page of usage records, newest first; {@code nextCursor} is null on the last page. */
public record UsagePage(List<UsageRecord> data, String nextCursor) {
}
