package io.parley.proxy.usage;

import java.util.ArrayList;
import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;

import io.parley.proxy.client.UsageClient;
import io.parley.proxy.config.ProxyConfig;
import io.quarkus.logging.Log;
import io.quarkus.scheduler.Scheduled;

/**
 * Delivers outbox rows to usage-service in batches. Rows are locked with {@code FOR UPDATE SKIP LOCKED} so replicas never
 * send the same row at the same time, marked delivered only after usage-service accepted the batch, and left pending
 * (retried next run) on any failure; usage-service is idempotent by request id, so a retry never counts twice.
 */
@ApplicationScoped
public class OutboxPublisher {

    private final OutboxRepository repository;
    private final UsageClient usage;
    private final int batchSize;
    private final int maxBatches;
    private volatile boolean failing;

    OutboxPublisher(OutboxRepository repository, UsageClient usage, ProxyConfig config) {
        this.repository = repository;
        this.usage = usage;
        this.batchSize = config.outbox().batchSize();
        this.maxBatches = config.outbox().maxBatchesPerRun();
    }

    @Scheduled(every = "${parley.proxy.outbox.interval:1s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void publish() {
        try {
            for (int i = 0; i < maxBatches; i++) {
                int delivered = repository.deliverBatch(batchSize, this::deliver);
                if (delivered > 0) {
                    Log.debugf("delivered %d usage event(s)", delivered);
                }
                if (delivered < batchSize) {
                    break;
                }
            }
            if (failing) {
                Log.infof("usage delivery recovered");
                failing = false;
            }
        } catch (Exception e) {
            if (!failing) {
                Log.warnf("usage delivery failed, events stay in the outbox and are retried: %s", e.toString());
                failing = true;
            }
        }
    }

    private List<String> deliver(List<OutboxRepository.Pending> batch) {
        List<String> jsons = new ArrayList<>(batch.size());
        for (OutboxRepository.Pending p : batch) {
            jsons.add(p.eventJson());
        }
        UsageClient.IngestResult result = usage.deliver(jsons);
        List<String> reasons = new ArrayList<>(batch.size());
        for (int i = 0; i < batch.size(); i++) {
            reasons.add(null);
        }
        for (UsageClient.Rejected r : result.rejected()) {
            if (r.index() >= 0 && r.index() < batch.size()) {
                reasons.set(r.index(), r.reason() == null ? "rejected" : r.reason());
                Log.warnf("usage-service rejected event %s: %s", batch.get(r.index()).requestId(), r.reason());
            }
        }
        return reasons;
    }

    public boolean failing() {
        return failing;
    }
}
