package io.parley.proxy.stream;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import io.parley.proxy.config.ProxyConfig;
import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownDelayInitiatedEvent;
import io.quarkus.runtime.ShutdownEvent;

/**
 * The proxy's graceful stop. On SIGTERM (Quarkus fires {@link ShutdownDelayInitiatedEvent} first, while the HTTP server
 * still serves, and waits for its observers):
 * <ol>
 * <li>readiness goes DOWN at once ({@link #draining()});</li>
 * <li>new calls are still served for {@code parley.proxy.shutdown.pre-stop-delay} (load balancers still send them), then
 * refused with 503 {@code server_shutting_down} ({@link #refusing()});</li>
 * <li>open calls get {@code parley.proxy.shutdown.drain-time} to end by themselves;</li>
 * <li>a call still open then ends with an error event {@code server_shutting_down} (503 if it sent nothing yet) and is
 * recorded {@code interrupted}; the usage recorder then writes what is queued (outbox or spool) on
 * {@link ShutdownEvent}.</li>
 * </ol>
 * The chart's {@code terminationGracePeriodSeconds} covers its preStop sleep, the pre-stop delay and the drain time.
 */
@ApplicationScoped
public class ShutdownDrain {

    private final RelayService relay;
    private final Duration preStopDelay;
    private final Duration drainTime;
    private final AtomicBoolean started = new AtomicBoolean();
    private volatile boolean draining;
    private volatile boolean refusing;

    ShutdownDrain(RelayService relay, ProxyConfig config) {
        this.relay = relay;
        this.preStopDelay = config.shutdown().preStopDelay();
        this.drainTime = config.shutdown().drainTime();
    }

    /** True from SIGTERM on: readiness reports DOWN. */
    public boolean draining() {
        return draining;
    }

    /** True once the pre-stop delay is over: new calls are refused with 503. */
    public boolean refusing() {
        return refusing;
    }

    void onShutdownDelay(@Observes ShutdownDelayInitiatedEvent event) {
        drain();
    }

    /** A stop without the delay event (it fires only with {@code quarkus.shutdown.delay-enabled}): drain here. */
    void onShutdown(@Observes @Priority(1) ShutdownEvent event) {
        drain();
    }

    /** Runs the whole sequence on the calling (shutdown) thread; once only. */
    public void drain() {
        if (!started.compareAndSet(false, true)) {
            return;
        }
        draining = true;
        Log.infof("shutting down: not ready; serving new calls for %s, then up to %s for %d open call(s)", preStopDelay,
                drainTime, relay.openCalls());
        pause(preStopDelay.toMillis());
        refusing = true;
        long deadline = System.nanoTime() + drainTime.toNanos();
        while (relay.openCalls() > 0 && System.nanoTime() < deadline) {
            pause(50);
        }
        int left = relay.openCalls();
        if (left > 0) {
            Log.warnf("drain time %s over: %d open call(s) end with server_shutting_down", drainTime, left);
            relay.interruptOpenCalls();
            long cutDeadline = System.nanoTime() + Duration.ofSeconds(2).toNanos();
            while (relay.openCalls() > 0 && System.nanoTime() < cutDeadline) {
                pause(20);
            }
        } else {
            Log.infof("drained: no call open");
        }
    }

    private static void pause(long millis) {
        if (millis <= 0) {
            return;
        }
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
