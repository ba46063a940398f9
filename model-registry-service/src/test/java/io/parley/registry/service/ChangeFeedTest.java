package io.parley.registry.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.Test;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.helpers.test.AssertSubscriber;

/** The per-follower queue of the change stream: in order while the follower keeps up, bounded when it does not. */
class ChangeFeedTest {

    static ModelsSnapshot snapshot(long revision) {
        return new ModelsSnapshot(revision, List.of(), false);
    }

    static ModelsDelta delta(long revision) {
        return new ModelsDelta(revision, revision - 1, false, List.of(), List.of());
    }

    @Test
    void followerThatKeepsUpGetsTheSnapshotThenEveryDeltaInOrder() {
        ChangeFeed feed = new ChangeFeed(4, () -> {
        });
        feed.offer(snapshot(1), snapshot(1));
        AssertSubscriber<ViewEvent> follower = Multi.createFrom().publisher(feed)
                .subscribe().withSubscriber(AssertSubscriber.create(Long.MAX_VALUE));
        for (long r = 2; r <= 20; r++) {
            feed.offer(delta(r), snapshot(r));
        }
        List<ViewEvent> got = follower.getItems();
        assertEquals(20, got.size());
        assertInstanceOf(ModelsSnapshot.class, got.get(0));
        for (int i = 1; i < got.size(); i++) {
            assertEquals(i + 1, got.get(i).revision());
            assertInstanceOf(ModelsDelta.class, got.get(i));
        }
        assertEquals(0, feed.caughtUpBySnapshot());
    }

    @Test
    void slowFollowerHoldsAtMostTheBacklogAndCatchesUpWithOneSnapshot() {
        ChangeFeed feed = new ChangeFeed(4, () -> {
        });
        feed.offer(snapshot(1), snapshot(1));
        // a follower whose connection takes nothing for a while
        AssertSubscriber<ViewEvent> follower = Multi.createFrom().publisher(feed)
                .subscribe().withSubscriber(AssertSubscriber.create(0));
        ModelsSnapshot latest = null;
        for (long r = 2; r <= 1_000; r++) {
            latest = snapshot(r);
            feed.offer(delta(r), latest);
            assertTrue(feed.backlog() <= 4, "backlog " + feed.backlog());
        }
        assertTrue(feed.caughtUpBySnapshot() > 0);
        follower.request(Long.MAX_VALUE);
        List<ViewEvent> got = follower.getItems();
        // the queue was replaced by the snapshot of the revision then current, and the deltas after it follow on
        ViewEvent first = got.get(0);
        assertInstanceOf(ModelsSnapshot.class, first);
        for (int i = 1; i < got.size(); i++) {
            ModelsDelta d = assertInstanceOf(ModelsDelta.class, got.get(i));
            assertEquals(got.get(i - 1).revision(), d.baseRevision());
        }
        assertEquals(1_000, got.get(got.size() - 1).revision());
        assertTrue(got.size() <= 4, got.size() + " events");
        assertTrue(latest.revision() == 1_000);
    }

    @Test
    void aSnapshotPublishedByTheViewSupersedesTheQueue() {
        ChangeFeed feed = new ChangeFeed(8, () -> {
        });
        feed.offer(snapshot(1), snapshot(1));
        AssertSubscriber<ViewEvent> follower = Multi.createFrom().publisher(feed)
                .subscribe().withSubscriber(AssertSubscriber.create(0));
        feed.offer(delta(2), snapshot(2));
        feed.offer(snapshot(3), snapshot(3));
        feed.offer(delta(4), snapshot(4));
        follower.request(10);
        assertEquals(List.of(3L, 4L), follower.getItems().stream().map(ViewEvent::revision).toList());
    }

    @Test
    void cancellingUnregistersTheFollower() {
        AtomicBoolean unregistered = new AtomicBoolean();
        ChangeFeed feed = new ChangeFeed(4, () -> unregistered.set(true));
        feed.offer(snapshot(1), snapshot(1));
        AssertSubscriber<ViewEvent> follower = Multi.createFrom().publisher(feed)
                .subscribe().withSubscriber(AssertSubscriber.create(1));
        follower.cancel();
        assertTrue(unregistered.get());
        feed.offer(delta(2), snapshot(2));
        assertEquals(0, feed.backlog());
    }
}
