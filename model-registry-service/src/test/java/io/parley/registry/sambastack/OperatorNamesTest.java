package io.parley.registry.sambastack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The operator's naming rule, pinned on the public example of sambanova/sambastack-tools
 * ({@code sambawiz/app/utils/__tests__/inference-pod-names.test.ts}).
 */
class OperatorNamesTest {

    @Test
    void shortNamesAreUsedVerbatim() {
        assertEquals("inf-bd-gc-demo-cache", OperatorNames.cacheStatefulSet("bd-gc-demo"));
        assertEquals("inf-bd-gc-demo-q-default-n", OperatorNames.servingStatefulSet("bd-gc-demo", "default"));
    }

    @Test
    void publicExampleIsCutAndHashedForTheServingPodOnly() {
        String name = "bd-llama-4-maverick-17b-128e-instruct-alcf";
        assertEquals("inf-bd-llama-4-maverick-17b-128e-instruct-alcf-cache", OperatorNames.cacheStatefulSet(name));
        assertEquals("inf-bd-llama-4-maverick-17b-128-f0968391-q-default-n",
                OperatorNames.servingStatefulSet(name, "default"));
    }

    @Test
    void everyDerivedNameKeepsItsLimit() {
        String name = "bd-" + "x".repeat(80);
        assertTrue(OperatorNames.inferenceName(name).length() <= 63);
        assertTrue(OperatorNames.cacheStatefulSet(name).length() <= 63);
        assertTrue(OperatorNames.servingStatefulSet(name, "default").length() <= 52);
        assertTrue(OperatorNames.servingStatefulSet(name, "default").endsWith("-q-default-n"));
        assertEquals("a".repeat(54).length() + 9, OperatorNames.truncate("a".repeat(64), 63).length());
        assertTrue(OperatorNames.truncate("a".repeat(64), 63).matches("a{54}-[0-9a-f]{8}"));
    }

    @Test
    void podsOfAStatefulSetCarryAnOrdinal() {
        assertTrue(OperatorNames.isPodOf("inf-d-q-default-n-0", "inf-d-q-default-n"));
        assertTrue(OperatorNames.isPodOf("inf-d-q-default-n-12", "inf-d-q-default-n"));
        assertFalse(OperatorNames.isPodOf("inf-d-q-default-n-x", "inf-d-q-default-n"));
        assertFalse(OperatorNames.isPodOf("inf-d-q-default-n-", "inf-d-q-default-n"));
        assertFalse(OperatorNames.isPodOf("inf-d-q-default-n2-0", "inf-d-q-default-n"));
    }
}
