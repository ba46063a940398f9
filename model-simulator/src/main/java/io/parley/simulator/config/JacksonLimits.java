package io.parley.simulator.config;

import jakarta.inject.Singleton;

import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.quarkus.jackson.ObjectMapperCustomizer;

/**
 * Lets a request carry one JSON string longer than Jackson's default 20 million characters (a file of about 15 MiB in
 * base64 that is not dropped before parsing, see rest.LeanJson): the body stays bounded by
 * {@code simulator.max-body-bytes}, as vLLM sets no limit of its own.
 */
@Singleton
public class JacksonLimits implements ObjectMapperCustomizer {

    @Override
    public void customize(ObjectMapper mapper) {
        mapper.getFactory().setStreamReadConstraints(StreamReadConstraints.builder()
                .maxStringLength(Integer.MAX_VALUE).build());
    }
}
