package io.parley.contracts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import java.util.Set;

import org.junit.jupiter.api.Test;

class CredentialRefTest {

    private static final Set<String> ALLOWED = Set.of("TEAM_VLLM_API_KEY");
    private static final Optional<String> TEAM_A = Optional.of("team-a");

    @Test
    void aSecretKeyOfTheDeploymentsNamespaceIsQualifiedWithIt() {
        var checked = CredentialRef.check("secret:llama-key/api-key", TEAM_A, ALLOWED);
        assertEquals(Optional.of(new CredentialRef.Secret("team-a", "llama-key", "api-key")), checked.ref());
        assertEquals("secret:team-a/llama-key/api-key", checked.ref().get().text());
        // the qualified form, as the proxy receives it, reads back the same
        assertEquals(checked.ref(), CredentialRef.check("secret:team-a/llama-key/api-key", TEAM_A, ALLOWED).ref());
    }

    @Test
    void aSecretOfAnotherNamespaceIsRefused() {
        var checked = CredentialRef.check("secret:parley/parley-db/password", TEAM_A, ALLOWED);
        assertTrue(checked.ref().isEmpty());
        assertTrue(checked.refusal().get().contains("own namespace team-a"), checked.refusal().get());
    }

    @Test
    void onlyAllowListedEnvironmentVariablesAreAccepted() {
        assertEquals(Optional.of(new CredentialRef.Env("TEAM_VLLM_API_KEY")),
                CredentialRef.check("env:TEAM_VLLM_API_KEY", Optional.empty(), ALLOWED).ref());
        var refused = CredentialRef.check("env:PARLEY_DB_PASSWORD", TEAM_A, ALLOWED);
        assertTrue(refused.ref().isEmpty());
        assertEquals("environment variable PARLEY_DB_PASSWORD is not in the allowed list"
                + " (parley.credentials.allowed-env)", refused.refusal().get());
    }

    @Test
    void otherFormsAndMalformedReferencesAreRefusedWithAReason() {
        for (String bad : new String[] { "file:/etc/shadow", "sk-live-123", "secret:a/b/c/d", "secret:UPPER/key",
                "secret:name/", "env:", "env:A-B", " ", "secret:x/../y" }) {
            var checked = CredentialRef.check(bad, TEAM_A, ALLOWED);
            assertTrue(checked.ref().isEmpty(), bad);
            assertTrue(checked.refusal().isPresent(), bad);
        }
        assertTrue(CredentialRef.check("secret:key/k", Optional.empty(), ALLOWED).refusal().get()
                .contains("NAMESPACE"));
        // without a deployment in context (operator configuration, or as the registry hands it on) the qualified form
        assertEquals("secret:team-b/k/v", CredentialRef.check("secret:team-b/k/v", Optional.empty(), ALLOWED)
                .ref().get().text());
        // a key pasted where its reference belongs is never repeated in the reason
        String reason = CredentialRef.check("sk-live-0123456789", TEAM_A, ALLOWED).refusal().get();
        assertTrue(!reason.contains("sk-live"), reason);
    }
}
