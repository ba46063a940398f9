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
 * {@code scripts/ensure-chromium.sh}, which {@code make test} runs before Maven: it finds a Chromium, installs Debian's
 * as root, or stops at once with the one command to run. Each case runs the script with a PATH that holds only stubs
 * (so the machine's own Chromium, apt-get and sudo are never seen or called).
 */
class EnsureChromiumScriptTest {

    @TempDir
    Path bin;

    private ScriptSandbox sandbox;
    private Path aptLog;

    @BeforeEach
    void sandbox() throws IOException {
        sandbox = new ScriptSandbox("ensure-chromium.sh", bin, "chromium", "chromium", "");
        aptLog = sandbox.aptLog();
    }

    @Test
    void printsAChromiumFoundOnPathWithoutInstallingAnything() throws Exception {
        sandbox.stub("id", "echo 1000");
        sandbox.stub("chromium-browser", "");
        ScriptSandbox.Result result = sandbox.run(Map.of());
        assertEquals(0, result.code(), result.err());
        assertEquals(bin.resolve("chromium-browser").toString(), result.out().strip());
        assertFalse(Files.exists(aptLog), "apt-get must not run when a Chromium is found");
    }

    @Test
    void installsDebiansChromiumWhenRunAsRoot() throws Exception {
        sandbox.stub("id", "echo 0");
        ScriptSandbox.Result result = sandbox.run(Map.of());
        assertEquals(0, result.code(), result.err());
        assertEquals(bin.resolve("chromium").toString(), result.out().strip(), "stdout holds only the path");
        String apt = Files.readString(aptLog);
        assertTrue(apt.contains("update"), apt);
        assertTrue(apt.contains("install -y -qq --no-install-recommends chromium"), apt);
    }

    @Test
    void installsThroughPasswordlessSudoWhenNotRoot() throws Exception {
        sandbox.stub("id", "echo 1000");
        sandbox.stub("sudo", "[ \"$1\" = -n ] && exit 0\necho sudo >> " + bin.resolve("sudo.log") + "\nexec \"$@\"\n");
        ScriptSandbox.Result result = sandbox.run(Map.of());
        assertEquals(0, result.code(), result.err());
        assertEquals(bin.resolve("chromium").toString(), result.out().strip());
        assertTrue(Files.readString(aptLog).contains("install -y -qq --no-install-recommends chromium"));
        assertTrue(Files.exists(bin.resolve("sudo.log")), "apt-get ran through sudo");
    }

    @Test
    void stopsAtOnceWithTheOneCommandToRunWhenItCannotInstall() throws Exception {
        sandbox.stub("id", "echo 1000");
        sandbox.stub("sudo", "exit 1"); // a sudo that asks for a password
        ScriptSandbox.Result result = sandbox.run(Map.of());
        assertEquals(1, result.code());
        assertEquals("", result.out().strip());
        assertTrue(result.err().contains("sudo apt-get install -y chromium"), result.err());
        assertFalse(Files.exists(aptLog), "apt-get must not run without the rights to install");
    }

    @Test
    void usesTheChromiumNamedByParleyChromiumAndRefusesOneThatIsNotExecutable() throws Exception {
        sandbox.stub("id", "echo 1000");
        Path chrome = sandbox.stub("my-chrome", "");
        ScriptSandbox.Result found = sandbox.run(Map.of("PARLEY_CHROMIUM", chrome.toString()));
        assertEquals(0, found.code(), found.err());
        assertEquals(chrome.toString(), found.out().strip());

        ScriptSandbox.Result missing = sandbox.run(Map.of("PARLEY_CHROMIUM", bin.resolve("nope").toString()));
        assertEquals(1, missing.code());
        assertTrue(missing.err().contains("is not an executable file"), missing.err());
    }
}
