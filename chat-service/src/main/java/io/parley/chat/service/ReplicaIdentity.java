package io.parley.chat.service;

import java.security.SecureRandom;
import java.util.HexFormat;

import jakarta.enterprise.context.ApplicationScoped;

/**
 * This process's name as the owner of turns: unique with no configuration (a random id drawn at start, so two
 * processes started with the same environment on one host never collide), prefixed with the pod's name when the
 * chart sets {@code POD_NAME}, so an operator can tell whose turns are whose.
 */
@ApplicationScoped
public class ReplicaIdentity {

    private final String id;

    public ReplicaIdentity() {
        this(System.getenv("POD_NAME"));
    }

    ReplicaIdentity(String podName) {
        byte[] random = new byte[6];
        new SecureRandom().nextBytes(random);
        String suffix = HexFormat.of().formatHex(random);
        this.id = podName == null || podName.isBlank() ? suffix : podName.trim() + "/" + suffix;
    }

    public String id() {
        return id;
    }

    @Override
    public String toString() {
        return id;
    }
}
