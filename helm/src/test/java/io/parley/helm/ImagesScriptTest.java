package io.parley.helm;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

/**
 * scripts/images.sh ({@code make images}) builds and runs the images; it needs root, Debian packages and minutes, so
 * it stays out of the test suite. These cheap checks keep it, the docs and the chart in agreement.
 */
class ImagesScriptTest {

    static final Path ROOT = Chart.MODULE.getParent();
    static final Path SCRIPT = ROOT.resolve("scripts/images.sh");

    @Test
    void scriptIsValidBash() throws Exception {
        Process bash = new ProcessBuilder("bash", "-n", SCRIPT.toString()).redirectErrorStream(true).start();
        String output = new String(bash.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

        assertThat(bash.waitFor()).as(output).isZero();
        assertThat(Files.isExecutable(SCRIPT)).isTrue();
    }

    @Test
    void whatTheScriptStartsListensOnLoopbackOnlyAndIsStoppedByPid() throws IOException {
        String script = Files.readString(SCRIPT);

        assertThat(script).contains("REGISTRY=127.0.0.1:$PORT").contains("  addr: $REGISTRY")
                .contains("QUARKUS_HTTP_HOST=127.0.0.1").doesNotContain("0.0.0.0")
                .contains("REGISTRY_PID=$!").contains("kill \"$pid\"").contains("trap cleanup EXIT")
                .contains("exec timeout").doesNotContain("pkill").doesNotContain("killall");
    }

    @Test
    void documentedBuildCommandUsesOnlyPropertiesTheScriptBuildsWith() throws IOException {
        String docs = Files.readString(ROOT.resolve("docs/install.md"));
        String images = docs.substring(docs.indexOf("## Images"), docs.indexOf("\n## ", docs.indexOf("## Images") + 1));
        String script = Files.readString(SCRIPT);

        Matcher property = Pattern.compile("-D(quarkus\\.[a-z.-]+)").matcher(images);
        List<String> documented = property.results().map(m -> m.group(1)).distinct().toList();
        assertThat(documented).contains("quarkus.container-image.build", "quarkus.container-image.push",
                "quarkus.container-image.registry", "quarkus.jib.base-jvm-image");
        for (String name : documented) {
            assertThat(script).as("the script verifies %s", name).contains("-D" + name);
        }
    }

    @Test
    void imagesRunAsTheUserTheChartRunsAsAndTheTestSuiteNeverBuildsThem() throws IOException {
        String script = Files.readString(SCRIPT);
        assertThat(script).contains("--config.user 185").contains("--user 185").contains("config.get(\"User\") != \"185\"");
        for (String module : List.of("chat-service", "model-registry-service", "inference-proxy-service", "usage-service",
                "model-simulator")) {
            assertThat(Files.readString(ROOT.resolve(module + "/src/main/resources/application.properties")))
                    .as(module).contains("quarkus.jib.user=185");
        }
        assertThat(Files.readString(Chart.DIR.resolve("values.yaml"))).contains("runAsUser: 185");

        String makefile = Files.readString(ROOT.resolve("Makefile"));
        assertThat(makefile).contains("images: ##").contains("\tscripts/images.sh");
        assertThat(makefile.substring(makefile.indexOf("\ntest:"), makefile.indexOf("\ntest-e2e:")))
                .doesNotContain("images");
    }
}
