package io.parley.registry.service;

import java.util.ArrayDeque;
import java.util.concurrent.Flow;

import io.quarkus.logging.Log;

/**
 * One follower of the change stream: the events the view publishes, queued until the follower asks for them (its
 * demand is what its connection can take). The queue is bounded: when a follower falls {@code maxBacklog} events
 * behind, its queue is replaced by one snapshot of the revision just published, so it catches up with one event and a
 * slow follower holds at most {@code maxBacklog} references to events every follower shares. A snapshot published by
 * the view supersedes the queue the same way. Cancelling unregisters the follower from the view.
 */
public final class ChangeFeed implements Flow.Publisher<ViewEvent> {

    private final int maxBacklog;
    private final Runnable onCancel;
    private final ArrayDeque<ViewEvent> backlog = new ArrayDeque<>();
    private Flow.Subscriber<? super ViewEvent> subscriber;
    private long demand;
    private boolean cancelled;
    private boolean draining;
    private long caughtUp;

    ChangeFeed(int maxBacklog, Runnable onCancel) {
        if (maxBacklog < 1) {
            throw new IllegalArgumentException("maxBacklog must be at least 1");
        }
        this.maxBacklog = maxBacklog;
        this.onCancel = onCancel;
    }

    /** Queues an event published by the view; {@code at} is the whole view at the event's revision. */
    void offer(ViewEvent event, ModelsSnapshot at) {
        synchronized (this) {
            if (cancelled) {
                return;
            }
            if (event instanceof ModelsSnapshot) {
                backlog.clear();
                backlog.add(event);
            } else if (backlog.size() >= maxBacklog) {
                backlog.clear();
                backlog.add(at);
                caughtUp++;
                Log.debugf("change-stream follower %d event(s) behind: its backlog is replaced by the snapshot of "
                        + "revision %d", maxBacklog, at.revision());
            } else {
                backlog.add(event);
            }
        }
        drain();
    }

    /** How often this follower fell behind and had its backlog replaced by a snapshot. */
    public synchronized long caughtUpBySnapshot() {
        return caughtUp;
    }

    /** Events queued and not yet asked for. */
    public synchronized int backlog() {
        return backlog.size();
    }

    @Override
    public void subscribe(Flow.Subscriber<? super ViewEvent> s) {
        boolean first;
        synchronized (this) {
            first = subscriber == null && !cancelled;
            if (first) {
                subscriber = s;
            }
        }
        s.onSubscribe(new Flow.Subscription() {
            @Override
            public void request(long n) {
                if (first) {
                    ChangeFeed.this.request(n, s);
                }
            }

            @Override
            public void cancel() {
                if (first) {
                    ChangeFeed.this.cancel();
                }
            }
        });
        if (!first) {
            s.onError(new IllegalStateException("a change feed has a single subscriber"));
            return;
        }
        drain();
    }

    private void request(long n, Flow.Subscriber<? super ViewEvent> s) {
        if (n <= 0) {
            cancel();
            s.onError(new IllegalArgumentException("request must be positive (reactive streams rule 3.9)"));
            return;
        }
        synchronized (this) {
            demand = demand + n < 0 ? Long.MAX_VALUE : demand + n;
        }
        drain();
    }

    private void cancel() {
        synchronized (this) {
            if (cancelled) {
                return;
            }
            cancelled = true;
            backlog.clear();
        }
        onCancel.run();
    }

    /** Delivers queued events while there is demand; one thread at a time, never holding the lock in onNext. */
    private void drain() {
        synchronized (this) {
            if (draining) {
                return;
            }
            draining = true;
        }
        for (;;) {
            ViewEvent next;
            Flow.Subscriber<? super ViewEvent> s;
            synchronized (this) {
                if (cancelled || subscriber == null || demand == 0 || backlog.isEmpty()) {
                    draining = false;
                    return;
                }
                next = backlog.poll();
                if (demand != Long.MAX_VALUE) {
                    demand--;
                }
                s = subscriber;
            }
            try {
                s.onNext(next);
            } catch (RuntimeException e) {
                synchronized (this) {
                    draining = false;
                }
                cancel();
                throw e;
            }
        }
    }
}
