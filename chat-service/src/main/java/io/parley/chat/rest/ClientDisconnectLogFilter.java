package io.parley.chat.rest;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.util.Locale;
import java.util.logging.Filter;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.VertxException;
import io.vertx.core.http.HttpClosedException;

/**
 * A client closing an SSE stream (a closed tab, a stopped {@code fetch}, a dropped network) is an expected event, not a
 * server error. RESTEasy Reactive's {@code PublisherResponseHandler} writes each event of a {@code Multi} and, when the
 * write fails after the headers went out, logs the failure at ERROR ("Exception in SSE server handling, impossible to
 * send it to client") whatever its cause (quarkusio/quarkus#45249). A client that goes away while an event is being
 * written (or one emitted by the turn before the connection's close handler cancelled the subscription) fails that
 * write with a broken pipe, a connection reset or a closed channel. This filter, installed on that handler's logger,
 * turns exactly those records into one DEBUG line here; any other failure (a real error) is still logged at ERROR.
 */
@ApplicationScoped
public class ClientDisconnectLogFilter implements Filter {

    static final String PUBLISHER_HANDLER = "org.jboss.resteasy.reactive.server.handlers.PublisherResponseHandler";

    /** Held so the logger (and the filter set on it) is not collected. */
    private Logger logger;

    void install(@Observes StartupEvent event) {
        logger = Logger.getLogger(PUBLISHER_HANDLER);
        logger.setFilter(this);
    }

    void uninstall(@Observes ShutdownEvent event) {
        if (logger != null && logger.getFilter() == this) {
            logger.setFilter(null);
        }
    }

    @Override
    public boolean isLoggable(LogRecord record) {
        if (record.getLevel().intValue() >= Level.WARNING.intValue() && isClientGone(record.getThrown())) {
            Log.debugf("SSE client went away while an event was being written (%s): stream dropped",
                    record.getThrown().toString());
            return false;
        }
        return true;
    }

    /** Whether a failure (or one of its causes) says the peer closed or reset the connection. */
    static boolean isClientGone(Throwable thrown) {
        int depth = 0;
        for (Throwable t = thrown; t != null && depth < 10; t = t.getCause(), depth++) {
            if (t instanceof ClosedChannelException || t instanceof HttpClosedException) {
                return true; // includes Netty's StacklessClosedChannelException
            }
            String message = t.getMessage() == null ? "" : t.getMessage().toLowerCase(Locale.ROOT);
            if (t instanceof IOException && (message.contains("broken pipe") || message.contains("connection reset"))) {
                return true; // also Netty's native "writev(..) failed: Broken pipe"
            }
            if (t instanceof VertxException && message.contains("connection was closed")) {
                return true;
            }
        }
        return false;
    }
}
