package io.parley.contracts;

import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Where the server side finds an upstream's API key: the one form the registry and the proxy both accept (issue 15).
 * Never the key itself.
 *
 * <ul>
 * <li>{@code secret:NAME/KEY}: key {@code KEY} of the Kubernetes Secret {@code NAME} in the deployment's own namespace
 * (written {@code secret:NAMESPACE/NAME/KEY} once qualified, as the registry hands it on; another namespace is
 * refused);</li>
 * <li>{@code env:NAME}: the environment variable {@code NAME}, only when {@code NAME} is in the configured
 * allow-list, so a reference cannot read any other variable of the process (such as its database password).</li>
 * </ul>
 * Everything else is refused with a reason a person can act on.
 */
public sealed interface CredentialRef {

    /** Kubernetes names (RFC 1123 subdomain) and Secret data keys. */
    Pattern SECRET_NAME = Pattern.compile("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?");
    Pattern SECRET_KEY = Pattern.compile("[-._a-zA-Z0-9]{1,253}");
    Pattern NAMESPACE = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
    Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,254}");

    /** The reference in its qualified text form, as it travels between services. */
    String text();

    /** An allow-listed environment variable. */
    record Env(String name) implements CredentialRef {
        @Override
        public String text() {
            return "env:" + name;
        }
    }

    /** A key of a Secret in {@code namespace}, the namespace of the deployment that named it. */
    record Secret(String namespace, String name, String key) implements CredentialRef {
        @Override
        public String text() {
            return "secret:" + namespace + "/" + name + "/" + key;
        }
    }

    /** The outcome of checking a reference: exactly one of {@code ref} and {@code refusal} is present. */
    record Checked(Optional<CredentialRef> ref, Optional<String> refusal) {

        static Checked ok(CredentialRef ref) {
            return new Checked(Optional.of(ref), Optional.empty());
        }

        static Checked refused(String reason) {
            return new Checked(Optional.empty(), Optional.of(reason));
        }
    }

    /**
     * Why a well-formed reference yields no key, in the same words in the registry (a probe's reason) and the proxy
     * (its log): names of Secrets, keys and variables only, never a value.
     */
    final class Unavailable {

        private Unavailable() {
        }

        public static String unset(Env env) {
            return "environment variable " + env.name() + " is not set";
        }

        public static String notFound(Secret secret) {
            return "Secret " + secret.namespace() + "/" + secret.name() + " not found";
        }

        public static String noKey(Secret secret) {
            return "Secret " + secret.namespace() + "/" + secret.name() + " has no key " + secret.key();
        }

        /** {@code who}: the component whose service account was refused ({@code registry}, {@code proxy}). */
        public static String forbidden(Secret secret, String who) {
            return "the " + who + "'s service account may not get Secret " + secret.namespace() + "/" + secret.name()
                    + " (403; the Helm chart grants it with credentials.secrets)";
        }

        public static String unreadable(Secret secret, String why) {
            return "Secret " + secret.namespace() + "/" + secret.name() + " could not be read (" + why + ")";
        }
    }

    /**
     * Parses and checks {@code text} for a deployment in {@code namespace}: a Secret must be in that namespace. Empty
     * when no deployment is in context (an endpoint configured by the operator, or a reference the registry already
     * qualified and checked): a Secret reference must then be qualified ({@code secret:NAMESPACE/NAME/KEY}). The refusal never
     * repeats a value that
     * could be a key: only names of variables, Secrets and namespaces, which are references.
     */
    static Checked check(String text, Optional<String> namespace, Set<String> allowedEnv) {
        if (text == null || text.isBlank()) {
            return Checked.refused("the credential reference is empty");
        }
        String t = text.trim();
        if (t.startsWith("env:")) {
            String name = t.substring(4);
            if (!ENV_NAME.matcher(name).matches()) {
                return Checked.refused("env: is not followed by an environment variable name");
            }
            if (!allowedEnv.contains(name)) {
                return Checked.refused("environment variable " + name + " is not in the allowed list"
                        + " (parley.credentials.allowed-env)");
            }
            return Checked.ok(new Env(name));
        }
        if (t.startsWith("secret:")) {
            String[] parts = t.substring(7).split("/", -1);
            String ns;
            String name;
            String key;
            if (parts.length == 2 && namespace.isPresent()) {
                ns = namespace.get();
                name = parts[0];
                key = parts[1];
            } else if (parts.length == 3) {
                if (namespace.isPresent() && !parts[0].equals(namespace.get())) {
                    return Checked.refused("a Secret reference may only name a Secret in the deployment's own namespace "
                            + namespace.get() + ", not " + abbreviate(parts[0]));
                }
                if (!NAMESPACE.matcher(parts[0]).matches()) {
                    return Checked.refused("'" + abbreviate(parts[0]) + "' is not a namespace name");
                }
                ns = parts[0];
                name = parts[1];
                key = parts[2];
            } else if (parts.length == 2) {
                return Checked.refused("a Secret reference without a deployment's namespace is secret:NAMESPACE/NAME/KEY");
            } else {
                return Checked.refused("a Secret reference is secret:NAME/KEY, not '" + abbreviate(t) + "'");
            }
            if (!SECRET_NAME.matcher(name).matches() || !SECRET_KEY.matcher(key).matches()) {
                return Checked.refused("'" + abbreviate(t) + "' does not name a Secret and a key (secret:NAME/KEY)");
            }
            return Checked.ok(new Secret(ns, name, key));
        }
        // not echoed: a value of no known form may be the key itself, pasted where its reference belongs
        return Checked.refused("the credential reference has no supported form (allowed: secret:NAME/KEY, or env:NAME"
                + " for an allowed variable); its value is not shown");
    }

    private static String abbreviate(String s) {
        String clean = s.replaceAll("[^\\x20-\\x7e]", "?");
        return clean.length() > 80 ? clean.substring(0, 80) + "…" : clean;
    }
}
