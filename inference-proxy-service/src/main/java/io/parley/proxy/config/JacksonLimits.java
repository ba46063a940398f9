package io.parley.proxy.config;

import jakarta.inject.Singleton;

import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.quarkus.jackson.ObjectMapperCustomizer;

/**
 * Lets a request carry an attachment's base64 as one JSON string: Jackson refuses strings over 20 million characters
 * by default, so a single 16 MiB image answered 400 {@code invalid_json} although
 * {@code parley.proxy.limits.max-attachment-bytes} allows 100 MiB. The body stays bounded by
 * {@code parley.proxy.limits.max-request-bytes} (413 before it is buffered), and the decoded parts by
 * {@code max-attachment-bytes}.
 */
@Singleton
public class JacksonLimits implements ObjectMapperCustomizer {

    @Override
    public void customize(ObjectMapper mapper) {
        mapper.getFactory().setStreamReadConstraints(StreamReadConstraints.builder()
                .maxStringLength(Integer.MAX_VALUE).build());
    }
}
