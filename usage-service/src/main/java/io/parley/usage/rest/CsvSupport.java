package io.parley.usage.rest;

import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;

import io.parley.usage.service.UsageException;

/** Content negotiation shared by the query resources: CSV when asked by {@code format=csv} or {@code Accept}. */
final class CsvSupport {

    static final String TEXT_CSV = "text/csv";

    private CsvSupport() {
    }

    static boolean wantsCsv(String format, HttpHeaders headers) {
        if (format != null && !format.isBlank()) {
            if (!"csv".equalsIgnoreCase(format) && !"json".equalsIgnoreCase(format)) {
                throw UsageException.invalid("format", "format must be json or csv");
            }
            return "csv".equalsIgnoreCase(format);
        }
        for (MediaType type : headers.getAcceptableMediaTypes()) {
            if (type.isWildcardType()) {
                return false;
            }
            if ("text".equals(type.getType()) && "csv".equals(type.getSubtype())) {
                return true;
            }
            if (type.isCompatible(MediaType.APPLICATION_JSON_TYPE)) {
                return false;
            }
        }
        return false;
    }
}
