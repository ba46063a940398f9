package io.parley.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

import io.parley.e2e.platform.LocalPlatform;
import io.parley.e2e.platform.PortPlan;

/**
 * Starts the whole platform once for all end-to-end test classes (ports of {@link PortPlan#e2e()}, so a running
 * {@code make run} is not in the way) and stops it when the test run ends. Test classes get it as a
 * {@link LocalPlatform} parameter.
 * <p>
 * The data directory ({@code -Dparley.e2e.data}, {@code e2e/target/e2e-platform} from the build) is emptied first so
 * every run starts from the realm file and empty databases; its {@code logs/} stay afterwards for diagnosis.
 */
public class PlatformExtension implements BeforeAllCallback, ParameterResolver {

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(PlatformExtension.class);

    @Override
    public void beforeAll(ExtensionContext context) {
        platform(context);
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == LocalPlatform.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return platform(context);
    }

    private static LocalPlatform platform(ExtensionContext context) {
        return context.getRoot().getStore(NAMESPACE)
                .getOrComputeIfAbsent(RunningPlatform.class, key -> RunningPlatform.start(), RunningPlatform.class)
                .platform();
    }

    /** Closed by JUnit when the root context closes, that is after the last test class. */
    record RunningPlatform(LocalPlatform platform) implements AutoCloseable {

        /** A failed start is not retried for every test class: they all fail at once with its cause. */
        private static volatile RuntimeException startFailure;

        static RunningPlatform start() {
            if (startFailure != null) {
                throw new IllegalStateException("the platform did not start (see the first failure)", startFailure);
            }
            Path root = Path.of(System.getProperty("parley.root", "..")).toAbsolutePath().normalize();
            Path data = Path.of(System.getProperty("parley.e2e.data", "target/e2e-platform")).toAbsolutePath();
            if (!Boolean.getBoolean("parley.e2e.keep-data")) {
                deleteTree(data);
            }
            LocalPlatform platform = new LocalPlatform(root, data, PortPlan.e2e()).withFixtures(new FaultFixtures());
            // also when the test JVM is interrupted (Ctrl-C on mvn verify): no process outlives the run
            Runtime.getRuntime().addShutdownHook(new Thread(platform::stop, "parley-e2e-shutdown"));
            try {
                platform.start();
            } catch (RuntimeException e) {
                startFailure = e;
                throw e;
            }
            return new RunningPlatform(platform);
        }

        @Override
        public void close() {
            platform.stop();
        }

        private static void deleteTree(Path dir) {
            if (!Files.exists(dir)) {
                return;
            }
            try (Stream<Path> tree = Files.walk(dir)) {
                for (Path path : tree.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(path);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("could not empty " + dir, e);
            }
        }
    }
}
