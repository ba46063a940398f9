package io.parley.chat.service;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Replica identity (issue 14 point 3): unique with no configuration, the pod's name in it when set. */
class ReplicaIdentityTest {

    @Test
    void twoProcessesWithTheSameEnvironmentGetDifferentIds() {
        assertNotEquals(new ReplicaIdentity(null).id(), new ReplicaIdentity(null).id());
        ReplicaIdentity a = new ReplicaIdentity("chat-service-7d9f-abcde");
        ReplicaIdentity b = new ReplicaIdentity("chat-service-7d9f-abcde");
        assertNotEquals(a.id(), b.id());
        assertTrue(a.id().startsWith("chat-service-7d9f-abcde/"), a.id());
    }
}
