package io.parley.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code scripts/ensure-node.sh}, which {@code make test} runs before the playground's JavaScript unit tests: it finds
 * a Node.js 18 or newer, installs Debian's as root, or stops at once with the one command to run. Each case runs the
 * script with a PATH that holds only stubs (so the machine's own node, apt-get and sudo are never seen or called).
 */
class EnsureNodeScriptTest {

    @TempDir
    Path bin;

    private ScriptSandbox sandbox;
    private Path aptLog;

    @BeforeEach
    void sandbox() throws IOException {
        sandbox = new ScriptSandbox("ensure-node.sh", bin, "nodejs", "node", "v18.19.0");
        aptLog = sandbox.aptLog();
    }

    @Test
    void printsANodeFoundOnPathWithoutInstallingAnything() throws Exception {
        sandbox.stub("id", "echo 1000");
        sandbox.stub("nodejs", "echo v20.20.2");
        ScriptSandbox.Result result = sandbox.run(Map.of());
        assertEquals(0, result.code(), result.err());
        assertEquals(bin.resolve("nodejs").toString(), result.out().strip());
        assertFalse(Files.exists(aptLog), "apt-get must not run when a node is found");
    }

    @Test
    void aNodeOlderThan18IsNotUsedAndDebiansIsInstalledAsRoot() throws Exception {
        sandbox.stub("id", "echo 0");
        sandbox.stub("nodejs", "echo v12.22.12");
        ScriptSandbox.Result result = sandbox.run(Map.of());
        assertEquals(0, result.code(), result.err());
        assertEquals(bin.resolve("node").toString(), result.out().strip(), "stdout holds only the path");
        String apt = Files.readString(aptLog);
        assertTrue(apt.contains("update"), apt);
        assertTrue(apt.contains("install -y -qq --no-install-recommends nodejs"), apt);
    }

    @Test
    void installsThroughPasswordlessSudoWhenNotRoot() throws Exception {
        sandbox.stub("id", "echo 1000");
        sandbox.stub("sudo", "[ \"$1\" = -n ] && exit 0\necho sudo >> " + bin.resolve("sudo.log") + "\nexec \"$@\"\n");
        ScriptSandbox.Result result = sandbox.run(Map.of());
        assertEquals(0, result.code(), result.err());
        assertEquals(bin.resolve("node").toString(), result.out().strip());
        assertTrue(Files.readString(aptLog).contains("install -y -qq --no-install-recommends nodejs"));
        assertTrue(Files.exists(bin.resolve("sudo.log")), "apt-get ran through sudo");
    }

    @Test
    void stopsAtOnceWithTheOneCommandToRunWhenItCannotInstall() throws Exception {
        sandbox.stub("id", "echo 1000");
        sandbox.stub("sudo", "exit 1"); // a sudo that asks for a password
        ScriptSandbox.Result result = sandbox.run(Map.of());
        assertEquals(1, result.code());
        assertEquals("", result.out().strip());
        assertTrue(result.err().contains("sudo apt-get install -y nodejs"), result.err());
        assertFalse(Files.exists(aptLog), "apt-get must not run without the rights to install");
    }

    @Test
    void usesTheNodeNamedByParleyNodeAndRefusesOneThatIsNotExecutable() throws Exception {
        sandbox.stub("id", "echo 1000");
        Path node = sandbox.stub("my-node", "echo v22.1.0");
        ScriptSandbox.Result found = sandbox.run(Map.of("PARLEY_NODE", node.toString()));
        assertEquals(0, found.code(), found.err());
        assertEquals(node.toString(), found.out().strip());

        ScriptSandbox.Result missing = sandbox.run(Map.of("PARLEY_NODE", bin.resolve("nope").toString()));
        assertEquals(1, missing.code());
        assertTrue(missing.err().contains("is not an executable Node.js 18 or newer"), missing.err());
    }
}
