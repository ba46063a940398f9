package io.parley.proxy.usage;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.parley.contracts.UsageEvent;
import io.parley.proxy.config.ProxyConfig;
import io.quarkus.logging.Log;

/**
 * The proxy's local, append-only usage spool: what keeps a call's usage when the outbox database cannot take it, and what
 * lets a call in flight at a {@code kill -9} be reconstructed on the next start. Two kinds of files live in one
 * directory (an {@code emptyDir} or a PVC in the chart), one JSON usage event per line:
 * <ul>
 * <li>{@code journal-<run>-<n>.log}: one <em>start</em> record per relayed call, written when the call starts (status
 * {@code interrupted}, what is known before the upstream answers). A journal segment is deleted once every call it
 * holds has its final usage stored elsewhere (outbox or pending file). A journal of an earlier run that is still there
 * names calls that never ended: on replay each is inserted as {@code interrupted} — after every pending file, and with
 * {@code on conflict (request_id) do nothing}, so a call whose real end reached the outbox keeps it.</li>
 * <li>{@code pending-<run>-<n>.log}: final usage events whose outbox insert failed (database down), fsync'd before the
 * recorder lets them go; replayed into the outbox once it works again, or on the next start, then deleted. The
 * request id stays the key, so a replay never counts twice.</li>
 * </ul>
 * Bounded by {@code parley.proxy.spool.max-bytes}. Start records are written by one thread in groups (one fsync per
 * group, never on the caller's thread: a full queue or a failing disk skips the record, counted in
 * {@code parley_proxy_usage_spool_write_failures_total}, logged once per failure streak, and never blocks serving).
 * Usage that could be kept neither in the outbox nor here counts in {@code parley_proxy_usage_dropped_total}, whose
 * value is persisted in {@code dropped.count} in the spool directory so it survives restarts.
 */
@ApplicationScoped
public class UsageSpool {

    /** A call's start record in the journal; released when the call's final usage is stored elsewhere. */
    public static final class Ticket {
        private static final int QUEUED = 0;
        private static final int WRITTEN = 1;
        private static final int RELEASED = 2;
        private static final int SKIPPED = 3;

        final UsageEvent start;
        private final AtomicInteger state = new AtomicInteger(QUEUED);
        private volatile Segment segment;

        Ticket(UsageEvent start) {
            this.start = start;
        }

        boolean written() {
            return state.get() == WRITTEN;
        }
    }

    /** One journal file and how many of its calls still need it. */
    private final class Segment {
        final Path path;
        final AtomicInteger open = new AtomicInteger();
        final AtomicBoolean deleted = new AtomicBoolean();
        volatile boolean closed;
        long bytes;

        Segment(Path path) {
            this.path = path;
        }

        void release() {
            if (open.decrementAndGet() == 0 && closed) {
                deleteSegment(this);
            }
        }
    }

    static final String JOURNAL = "journal-";
    static final String PENDING = "pending-";
    static final String DROPPED_FILE = "dropped.count";
    private static final int REPLAY_BATCH = 256;

    private final Path dir;
    private final long maxBytes;
    private final long segmentBytes;
    private final ObjectMapper mapper;
    private final String run = Long.toString(System.currentTimeMillis(), 36) + "-"
            + UUID.randomUUID().toString().substring(0, 8);
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicLong pendingEvents = new AtomicLong();
    private final AtomicLong droppedTotal = new AtomicLong();
    private final Counter writeFailures;
    private final Counter dropped;
    private final BlockingQueue<Ticket> starts;
    private final Thread writer;
    private volatile boolean running = true;
    private final boolean enabled;

    /** Journal state, touched by the writer thread only (and by {@link #close()} after it stopped). */
    private Segment journal;
    private FileChannel journalChannel;
    private int journalSeq;

    /** Pending-file state, guarded by {@code pendingLock}. */
    private final Object pendingLock = new Object();
    private Path pendingPath;
    private FileChannel pendingChannel;
    private int pendingSeq;

    private final AtomicBoolean journalFailing = new AtomicBoolean();
    private final AtomicBoolean pendingFailing = new AtomicBoolean();

    @Inject
    UsageSpool(ProxyConfig config, ObjectMapper mapper, MeterRegistry registry) {
        this(Path.of(config.spool().dir()), config.spool().maxBytes(), config.spool().enabled(), mapper, registry);
    }

    UsageSpool(Path dir, long maxBytes, boolean enabled, ObjectMapper mapper, MeterRegistry registry) {
        this.dir = dir.toAbsolutePath().normalize();
        this.maxBytes = maxBytes;
        this.segmentBytes = Math.max(64 * 1024, Math.min(4L * 1024 * 1024, maxBytes / 16));
        this.mapper = mapper;
        this.writeFailures = Counter.builder("parley_proxy_usage_spool_write_failures")
                .description("usage spool records that could not be written (disk full, spool full, queue full);"
                        + " the call's usage still goes to the outbox")
                .register(registry);
        this.dropped = Counter.builder("parley_proxy_usage_dropped")
                .description("usage events that could be kept neither in the outbox nor in the spool"
                        + " (persisted in the spool directory: survives restarts)")
                .register(registry);
        Gauge.builder("parley_proxy_usage_spool_bytes", bytes, AtomicLong::get)
                .description("bytes in the usage spool directory").register(registry);
        Gauge.builder("parley_proxy_usage_spool_pending", pendingEvents, AtomicLong::get)
                .description("usage events in the spool waiting for the outbox").register(registry);
        this.starts = new ArrayBlockingQueue<>(65_536);
        boolean ok = enabled;
        if (enabled) {
            try {
                Files.createDirectories(this.dir);
                long known = readDropped();
                droppedTotal.set(known);
                if (known > 0) {
                    dropped.increment(known);
                    Log.warnf("usage spool %s: %d usage event(s) were dropped by earlier runs (%s)", this.dir, known,
                            DROPPED_FILE);
                }
                try (Stream<Path> files = Files.list(this.dir)) {
                    for (Path f : (Iterable<Path>) files::iterator) {
                        String name = f.getFileName().toString();
                        if (name.startsWith(JOURNAL) || name.startsWith(PENDING)) {
                            bytes.addAndGet(Files.size(f));
                            if (name.startsWith(PENDING)) {
                                pendingEvents.addAndGet(countLines(f));
                            }
                        }
                    }
                }
            } catch (IOException e) {
                Log.errorf("usage spool directory %s unusable, usage is kept in the outbox only: %s", this.dir,
                        e.toString());
                ok = false;
            }
        }
        this.enabled = ok;
        this.writer = new Thread(this::writeStarts, "parley-usage-spool");
        this.writer.setDaemon(true);
        if (ok) {
            this.writer.start();
        }
    }

    public Path dir() {
        return dir;
    }

    // ---- start records (journal) ------------------------------------------------------------------------------

    /**
     * Journals a call's start record (status {@code interrupted}); never blocks: the record is written by the spool's
     * thread, together with those of other calls that started meanwhile (one fsync per group).
     */
    public Ticket journal(UsageEvent start) {
        Ticket ticket = new Ticket(start);
        if (!enabled || !starts.offer(ticket)) {
            ticket.state.set(Ticket.SKIPPED);
            if (enabled) {
                journalFailure("the spool's queue is full");
            }
        }
        return ticket;
    }

    /** The call's final usage is stored (outbox or pending file): its start record is no longer needed. */
    public void release(Ticket ticket) {
        if (ticket == null) {
            return;
        }
        if (ticket.state.compareAndSet(Ticket.QUEUED, Ticket.RELEASED)) {
            return; // never written: the writer skips it
        }
        if (ticket.state.compareAndSet(Ticket.WRITTEN, Ticket.RELEASED)) {
            Segment s = ticket.segment;
            if (s != null) {
                s.release();
            }
        }
    }

    private void writeStarts() {
        List<Ticket> group = new ArrayList<>();
        while (running || !starts.isEmpty()) {
            try {
                Ticket first = starts.poll(200, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                group.add(first);
                starts.drainTo(group, 4096);
                writeGroup(group);
            } catch (InterruptedException e) {
                if (!running) {
                    break;
                }
            } catch (RuntimeException e) {
                Log.errorf(e, "usage spool writer failed");
            } finally {
                group.clear();
            }
        }
    }

    private void writeGroup(List<Ticket> group) {
        StringBuilder lines = new StringBuilder(group.size() * 512);
        List<Ticket> toWrite = new ArrayList<>(group.size());
        for (Ticket t : group) {
            if (t.state.get() != Ticket.QUEUED) {
                continue; // the call already ended and its usage is stored
            }
            try {
                lines.append(mapper.writeValueAsString(t.start)).append('\n');
                toWrite.add(t);
            } catch (Exception e) {
                t.state.set(Ticket.SKIPPED);
                writeFailures.increment();
            }
        }
        if (toWrite.isEmpty()) {
            return;
        }
        byte[] data = lines.toString().getBytes(StandardCharsets.UTF_8);
        try {
            if (bytes.get() + data.length > maxBytes) {
                throw new IOException("the spool holds " + bytes.get() + " bytes, its limit is " + maxBytes);
            }
            Segment segment = currentJournal();
            // counted before the write, so a release racing with it never sees zero while the record is on its way
            segment.open.addAndGet(toWrite.size());
            try {
                writeFully(journalChannel, data);
                journalChannel.force(false);
            } catch (IOException e) {
                segment.open.addAndGet(-toWrite.size());
                throw e;
            }
            segment.bytes += data.length;
            bytes.addAndGet(data.length);
            for (Ticket t : toWrite) {
                t.segment = segment;
                if (!t.state.compareAndSet(Ticket.QUEUED, Ticket.WRITTEN)) {
                    segment.release(); // ended while it was written
                }
            }
            if (journalFailing.compareAndSet(true, false)) {
                Log.infof("usage spool %s writable again", dir);
            }
            if (segment.bytes >= segmentBytes) {
                rotateJournal();
            }
        } catch (IOException e) {
            for (Ticket t : toWrite) {
                t.state.compareAndSet(Ticket.QUEUED, Ticket.SKIPPED);
            }
            writeFailures.increment(toWrite.size());
            journalFailure(e.toString());
        }
    }

    private void journalFailure(String why) {
        writeFailures.increment();
        if (journalFailing.compareAndSet(false, true)) {
            Log.errorf("usage spool %s: start records cannot be written (%s); calls are still served and their usage"
                    + " still goes to the outbox, but a call in flight at a crash cannot be reconstructed", dir, why);
        }
    }

    private Segment currentJournal() throws IOException {
        if (journal == null) {
            Path path = dir.resolve(JOURNAL + run + "-" + (journalSeq++) + ".log");
            journalChannel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.APPEND);
            journal = new Segment(path);
        }
        return journal;
    }

    private void rotateJournal() {
        Segment s = journal;
        if (s == null) {
            return;
        }
        try {
            journalChannel.close();
        } catch (IOException e) {
            // the data was forced already
        }
        journal = null;
        journalChannel = null;
        s.closed = true;
        if (s.open.get() == 0) {
            deleteSegment(s);
        }
    }

    private void deleteSegment(Segment s) {
        if (!s.deleted.compareAndSet(false, true)) {
            return;
        }
        try {
            long size = Files.size(s.path);
            Files.deleteIfExists(s.path);
            bytes.addAndGet(-size);
        } catch (IOException e) {
            Log.warnf("usage spool: could not delete %s: %s", s.path, e.toString());
        }
    }

    // ---- final events whose outbox insert failed (pending) -----------------------------------------------------

    /**
     * Appends final usage events and fsyncs them; returns false (nothing kept) when the spool is off, full or its disk
     * fails. Blocks the calling worker thread for the write.
     */
    public boolean keep(List<OutboxRepository.Pending> events) {
        if (!enabled || events.isEmpty()) {
            return false;
        }
        StringBuilder lines = new StringBuilder(events.size() * 600);
        for (OutboxRepository.Pending p : events) {
            lines.append(p.eventJson()).append('\n');
        }
        byte[] data = lines.toString().getBytes(StandardCharsets.UTF_8);
        synchronized (pendingLock) {
            try {
                if (bytes.get() + data.length > maxBytes) {
                    throw new IOException("the spool holds " + bytes.get() + " bytes, its limit is " + maxBytes);
                }
                if (pendingChannel == null) {
                    pendingPath = dir.resolve(PENDING + run + "-" + (pendingSeq++) + ".log");
                    pendingChannel = FileChannel.open(pendingPath, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                            StandardOpenOption.APPEND);
                }
                long before = pendingChannel.size();
                try {
                    writeFully(pendingChannel, data);
                    pendingChannel.force(false);
                } catch (IOException e) {
                    pendingChannel.truncate(before); // no half-written line stays behind
                    throw e;
                }
                bytes.addAndGet(data.length);
                pendingEvents.addAndGet(events.size());
                if (pendingFailing.compareAndSet(true, false)) {
                    Log.infof("usage spool %s takes usage events again", dir);
                }
                return true;
            } catch (IOException e) {
                writeFailures.increment(events.size());
                if (pendingFailing.compareAndSet(false, true)) {
                    Log.errorf("usage spool %s cannot keep usage events (%s): they wait in memory", dir, e.toString());
                }
                return false;
            }
        }
    }

    /** Events in the spool waiting for the outbox (pending files). */
    public long pendingEvents() {
        return pendingEvents.get();
    }

    /**
     * Replays the spool into the outbox: every pending file but the one being written to (which is closed first), then
     * the journals of earlier runs (their calls never ended: inserted as {@code interrupted}, after the pending files, so
     * a real end always wins). Stops at the first failure (the database is still down); what was replayed is deleted.
     * Returns the number of events handed to the outbox.
     */
    public int replay(OutboxRepository outbox) throws Exception {
        if (!enabled) {
            return 0;
        }
        List<Path> pending;
        synchronized (pendingLock) {
            if (pendingChannel != null) {
                pendingChannel.close();
                pendingChannel = null;
                pendingPath = null;
            }
            // listed now: a file opened by a later keep() is written to while this replay runs, and waits for the next
            pending = files(PENDING);
        }
        int replayed = 0;
        for (Path f : pending) {
            List<OutboxRepository.Pending> events = read(f);
            insert(outbox, events);
            delete(f);
            pendingEvents.addAndGet(-events.size());
            replayed += events.size();
            Log.infof("usage spool: %d usage event(s) of %s replayed into the outbox", events.size(), f.getFileName());
        }
        for (Path f : files(JOURNAL)) {
            if (f.getFileName().toString().startsWith(JOURNAL + run + "-")) {
                continue; // this run's calls: still in flight or ended normally
            }
            List<OutboxRepository.Pending> starts = read(f);
            insert(outbox, starts);
            delete(f);
            replayed += starts.size();
            if (!starts.isEmpty()) {
                Log.warnf("usage spool: %d call(s) in flight when an earlier run stopped recorded as interrupted (%s)",
                        starts.size(), f.getFileName());
            }
        }
        return replayed;
    }

    private static void insert(OutboxRepository outbox, List<OutboxRepository.Pending> events) throws Exception {
        for (int i = 0; i < events.size(); i += REPLAY_BATCH) {
            outbox.insertAll(events.subList(i, Math.min(events.size(), i + REPLAY_BATCH)));
        }
    }

    /** Reads one spool file; a torn last line (the process died while writing it, never acknowledged) is skipped. */
    private List<OutboxRepository.Pending> read(Path f) throws IOException {
        List<OutboxRepository.Pending> events = new ArrayList<>();
        try (BufferedReader reader = Files.newBufferedReader(f, StandardCharsets.UTF_8)) {
            String line;
            while ((line = reader.readLine()) != null) {
                if (line.isBlank()) {
                    continue;
                }
                try {
                    String requestId = mapper.readTree(line).path("request_id").asText(null);
                    if (requestId == null) {
                        throw new IOException("no request_id");
                    }
                    events.add(new OutboxRepository.Pending(requestId, line));
                } catch (IOException e) {
                    Log.warnf("usage spool %s: unreadable record skipped: %s", f.getFileName(), e.toString());
                }
            }
        }
        return events;
    }

    private List<Path> files(String prefix) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().startsWith(prefix)).sorted().toList();
        }
    }

    private void delete(Path f) throws IOException {
        long size = Files.size(f);
        Files.deleteIfExists(f);
        bytes.addAndGet(-size);
    }

    // ---- usage that could not be kept -----------------------------------------------------------------------

    /** Counts usage events lost for good (also in {@code dropped.count}, so the count survives a restart). */
    public void dropped(long n) {
        if (n <= 0) {
            return;
        }
        dropped.increment(n);
        long total = droppedTotal.addAndGet(n);
        if (!enabled) {
            return;
        }
        synchronized (droppedTotal) {
            Path tmp = dir.resolve(DROPPED_FILE + ".tmp");
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                writeFully(ch, (Long.toString(total) + "\n").getBytes(StandardCharsets.US_ASCII));
                ch.force(true);
            } catch (IOException e) {
                Log.errorf("usage spool: the dropped count (%d) could not be persisted: %s", total, e.toString());
                return;
            }
            try {
                Files.move(tmp, dir.resolve(DROPPED_FILE), StandardCopyOption.ATOMIC_MOVE,
                        StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                try {
                    Files.move(tmp, dir.resolve(DROPPED_FILE), StandardCopyOption.REPLACE_EXISTING);
                } catch (IOException e2) {
                    Log.errorf("usage spool: the dropped count could not be persisted: %s", e2.toString());
                }
            } catch (IOException e) {
                Log.errorf("usage spool: the dropped count could not be persisted: %s", e.toString());
            }
        }
    }

    public long droppedTotal() {
        return droppedTotal.get();
    }

    private long readDropped() {
        Path f = dir.resolve(DROPPED_FILE);
        try {
            return Files.isRegularFile(f) ? Long.parseLong(Files.readString(f).trim()) : 0;
        } catch (IOException | NumberFormatException e) {
            Log.warnf("usage spool: %s unreadable (%s), counting from 0", f, e.toString());
            return 0;
        }
    }

    // ---- lifecycle ----------------------------------------------------------------------------------------

    /**
     * Stops the writer after it wrote what is queued; journal segments whose calls all ended are deleted, those still
     * needed stay for the next start.
     */
    @PreDestroy
    public void close() {
        if (!running) {
            return;
        }
        running = false;
        if (!enabled) {
            return;
        }
        try {
            writer.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        rotateJournal();
        synchronized (pendingLock) {
            if (pendingChannel != null) {
                try {
                    pendingChannel.close();
                } catch (IOException e) {
                    // forced already
                }
                pendingChannel = null;
            }
        }
    }

    private static void writeFully(FileChannel ch, byte[] data) throws IOException {
        ByteBuffer buffer = ByteBuffer.wrap(data);
        while (buffer.hasRemaining()) {
            ch.write(buffer);
        }
    }

    private static long countLines(Path f) throws IOException {
        try (Stream<String> lines = Files.lines(f, StandardCharsets.UTF_8)) {
            return lines.filter(l -> !l.isBlank()).count();
        }
    }
}
