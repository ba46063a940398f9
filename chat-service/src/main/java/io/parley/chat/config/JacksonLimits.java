package io.parley.chat.config;

import jakarta.inject.Singleton;

import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.quarkus.jackson.ObjectMapperCustomizer;

/**
 * Lets a turn body carry an attachment's base64 data URL as one JSON string: Jackson refuses strings over 20 million
 * characters by default, far below the base64 of {@code parley.chat.attachments.max-bytes}. The body as a whole stays
 * bounded by {@code quarkus.http.limits.max-body-size} and the turn's own 413 check.
 */
@Singleton
public class JacksonLimits implements ObjectMapperCustomizer {

    @Override
    public void customize(ObjectMapper mapper) {
        mapper.getFactory().setStreamReadConstraints(StreamReadConstraints.builder()
                .maxStringLength(Integer.MAX_VALUE).build());
    }
}
