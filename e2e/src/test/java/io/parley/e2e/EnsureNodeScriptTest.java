package io.parley.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code scripts/ensure-node.sh}, which {@code make test} runs before the playground's JavaScript unit tests: it finds
 * a Node.js 18 or newer, installs Debian's as root, or stops at once with the one command to run. Each case runs the
 * script with a PATH that holds only stubs (so the machine's own node, apt-get and sudo are never seen or called).
 */
class EnsureNodeScriptTest {

    private static final Path SCRIPT = Path.of(System.getProperty("parley.root", ".."), "scripts", "ensure-node.sh")
            .toAbsolutePath().normalize();

    @TempDir
    Path bin;

    private Path aptLog;

    @BeforeEach
    void stubs() throws IOException {
        aptLog = bin.resolve("apt-get.log");
        for (String tool : new String[] { "cat", "env", "chmod" }) {
            Path real = Path.of("/usr/bin", tool);
            Files.createSymbolicLink(bin.resolve(tool), Files.exists(real) ? real : Path.of("/bin", tool));
        }
        // apt-get records its arguments; `install … nodejs` makes a node 18 appear on PATH, as Debian 12's package does
        stub("apt-get", "echo \"$*\" >> " + aptLog + "\n"
                + "case \"$*\" in *install*nodejs*) printf '#!/bin/sh\\necho v18.19.0\\n' > " + bin.resolve("node")
                + "; chmod +x " + bin.resolve("node") + ";; esac\n");
    }

    @Test
    void printsANodeFoundOnPathWithoutInstallingAnything() throws Exception {
        stub("id", "echo 1000");
        stub("nodejs", "echo v20.20.2");
        Result result = run(Map.of());
        assertEquals(0, result.code, result.err);
        assertEquals(bin.resolve("nodejs").toString(), result.out.strip());
        assertFalse(Files.exists(aptLog), "apt-get must not run when a node is found");
    }

    @Test
    void aNodeOlderThan18IsNotUsedAndDebiansIsInstalledAsRoot() throws Exception {
        stub("id", "echo 0");
        stub("nodejs", "echo v12.22.12");
        Result result = run(Map.of());
        assertEquals(0, result.code, result.err);
        assertEquals(bin.resolve("node").toString(), result.out.strip(), "stdout holds only the path");
        String apt = Files.readString(aptLog);
        assertTrue(apt.contains("update"), apt);
        assertTrue(apt.contains("install -y -qq --no-install-recommends nodejs"), apt);
    }

    @Test
    void installsThroughPasswordlessSudoWhenNotRoot() throws Exception {
        stub("id", "echo 1000");
        stub("sudo", "[ \"$1\" = -n ] && exit 0\necho sudo >> " + bin.resolve("sudo.log") + "\nexec \"$@\"\n");
        Result result = run(Map.of());
        assertEquals(0, result.code, result.err);
        assertEquals(bin.resolve("node").toString(), result.out.strip());
        assertTrue(Files.readString(aptLog).contains("install -y -qq --no-install-recommends nodejs"));
        assertTrue(Files.exists(bin.resolve("sudo.log")), "apt-get ran through sudo");
    }

    @Test
    void stopsAtOnceWithTheOneCommandToRunWhenItCannotInstall() throws Exception {
        stub("id", "echo 1000");
        stub("sudo", "exit 1"); // a sudo that asks for a password
        Result result = run(Map.of());
        assertEquals(1, result.code);
        assertEquals("", result.out.strip());
        assertTrue(result.err.contains("sudo apt-get install -y nodejs"), result.err);
        assertFalse(Files.exists(aptLog), "apt-get must not run without the rights to install");
    }

    @Test
    void usesTheNodeNamedByParleyNodeAndRefusesOneThatIsNotExecutable() throws Exception {
        stub("id", "echo 1000");
        Path node = stub("my-node", "echo v22.1.0");
        Result found = run(Map.of("PARLEY_NODE", node.toString()));
        assertEquals(0, found.code, found.err);
        assertEquals(node.toString(), found.out.strip());

        Result missing = run(Map.of("PARLEY_NODE", bin.resolve("nope").toString()));
        assertEquals(1, missing.code);
        assertTrue(missing.err.contains("is not an executable Node.js 18 or newer"), missing.err);
    }

    private Path stub(String name, String body) throws IOException {
        Path file = bin.resolve(name);
        Files.writeString(file, "#!/bin/bash\n" + body);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
        return file;
    }

    private Result run(Map<String, String> env) throws Exception {
        ProcessBuilder builder = new ProcessBuilder("/bin/bash", SCRIPT.toString());
        builder.environment().clear();
        builder.environment().put("PATH", bin.toString());
        builder.environment().putAll(env);
        Process process = builder.start();
        process.getOutputStream().close();
        assertTrue(process.waitFor(30, TimeUnit.SECONDS), "the script finished");
        return new Result(process.exitValue(), new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
                new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    private record Result(int code, String out, String err) {
    }
}
