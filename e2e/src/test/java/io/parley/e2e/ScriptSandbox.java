package io.parley.e2e;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs one of {@code scripts/ensure-*.sh} with a PATH that holds only stubs, so the machine's own tools, apt-get and
 * sudo are never seen or called: the shared fixture of {@link EnsureChromiumScriptTest} and
 * {@link EnsureNodeScriptTest}. {@code apt-get} records its arguments in {@link #aptLog()}, and installing
 * {@code aptPackage} puts {@code binary} on the PATH, printing {@code versionLine} when run, as Debian's package does.
 */
final class ScriptSandbox {

    record Result(int code, String out, String err) {
    }

    private final Path script;
    private final Path bin;

    ScriptSandbox(String scriptName, Path bin, String aptPackage, String binary, String versionLine) throws IOException {
        this.script = Path.of(System.getProperty("parley.root", ".."), "scripts", scriptName).toAbsolutePath()
                .normalize();
        this.bin = bin;
        for (String tool : new String[] { "cat", "env", "chmod" }) {
            Path real = Path.of("/usr/bin", tool);
            Files.createSymbolicLink(bin.resolve(tool), Files.exists(real) ? real : Path.of("/bin", tool));
        }
        String installed = versionLine.isEmpty() ? "#!/bin/sh\\n" : "#!/bin/sh\\necho " + versionLine + "\\n";
        stub("apt-get", "echo \"$*\" >> " + aptLog() + "\n"
                + "case \"$*\" in *install*" + aptPackage + "*) printf '" + installed + "' > " + bin.resolve(binary)
                + "; chmod +x " + bin.resolve(binary) + ";; esac\n");
    }

    Path bin() {
        return bin;
    }

    Path aptLog() {
        return bin.resolve("apt-get.log");
    }

    Path stub(String name, String body) throws IOException {
        Path file = bin.resolve(name);
        Files.writeString(file, "#!/bin/bash\n" + body);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
        return file;
    }

    Result run(Map<String, String> env) throws Exception {
        ProcessBuilder builder = new ProcessBuilder("/bin/bash", script.toString());
        builder.environment().clear();
        builder.environment().put("PATH", bin.toString());
        builder.environment().putAll(env);
        Process process = builder.start();
        process.getOutputStream().close();
        assertTrue(process.waitFor(30, TimeUnit.SECONDS), "the script finished");
        return new Result(process.exitValue(), new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
                new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
    }
}
