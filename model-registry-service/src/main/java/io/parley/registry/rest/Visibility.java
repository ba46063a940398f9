package io.parley.registry.rest;

import java.util.List;
import java.util.regex.Pattern;

import jakarta.enterprise.context.ApplicationScoped;

import io.parley.registry.config.RegistryConfig;
import io.quarkus.security.identity.SecurityIdentity;

/**
 * Who sees the internals of the view (issue 15): upstream URLs and credential references go to callers holding one of
 * {@code parley.registry.internal-roles} (admins and the proxy's service account); everyone else gets the models
 * without endpoints, and any URL in a reason replaced.
 */
@ApplicationScoped
public class Visibility {

    private static final Pattern URL = Pattern.compile("(?i)\\b[a-z][a-z0-9+.-]*://[^\\s,;'\"()]+");
    static final String HIDDEN_URL = "(an upstream URL, shown to admins)";

    private final List<String> internalRoles;

    public Visibility(RegistryConfig config) {
        this.internalRoles = List.copyOf(config.internalRoles());
    }

    /** Whether {@code identity} may see upstream URLs and credential references. */
    public boolean internal(SecurityIdentity identity) {
        return identity != null && !identity.isAnonymous() && internalRoles.stream().anyMatch(identity::hasRole);
    }

    /** {@code text} with every URL replaced, for callers who may not see them. */
    static String redact(String text) {
        return text == null ? null : URL.matcher(text).replaceAll(HIDDEN_URL);
    }
}
