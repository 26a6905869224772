package dev.iommufd.sim.dma;

import dev.iommufd.contract.events.EventEnvelope;
import dev.iommufd.contract.events.EventPayload;
import dev.iommufd.contract.events.HwEvent;
import dev.iommufd.contract.events.PageRequest;
import dev.iommufd.contract.events.SequenceClock;
import dev.iommufd.contract.events.TraceContext;
import dev.iommufd.sim.platform.Platform;
import dev.iommufd.sim.pri.PriQueue;
import java.time.Clock;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Runs DMAs with PRI: a translation miss on a PRI device whose HWPT has a fault queue sends one
 * page request (a one-page group, {@code last} set, next free PRGI) and waits for the response
 * without holding the platform lock ({@code wait()} on the platform releases it, so the command
 * consumer can apply the response). SUCCESS: the page's cached translations were dropped
 * (implicit invalidation) and the DMA retries from that page; a second miss of the same page is a
 * fault (one request per page, no loop). INVALID, a detach of the device from the domain, or no
 * answer within {@code priTimeoutMs} end the DMA with FAULT. When the device's outstanding budget
 * is used up, the DMA <em>waits</em> (within the same timeout) for a slot, as a device queues
 * requests it may not send yet. Publishing happens outside the lock; recorded hardware events are
 * published when the DMA ends.
 */
public final class DmaEngine {
    private static final Logger LOG = Logger.getLogger(DmaEngine.class);
    public static final String SOURCE = "hw-sim";
    public static final long DEFAULT_PRI_TIMEOUT_MS = 5000;

    /** Sends an event (page request, hardware event) and returns once the broker has it. */
    public interface Publisher {
        void publish(EventEnvelope event);

        /** Hands the event to the producer without waiting; completes once the broker has it. */
        default CompletableFuture<Void> send(EventEnvelope event) {
            publish(event);
            return CompletableFuture.completedFuture(null);
        }
    }

    private final Platform platform;
    private final Publisher publisher;
    private final Clock clock;
    private final SequenceClock sequence = new SequenceClock();
    /** Numbering and hand-off happen together under it: consumers drop a sequence below one they already have. */
    private final Object sendOrder = new Object();

    public DmaEngine(Platform platform, Publisher publisher, Clock clock) {
        this.platform = platform;
        this.publisher = publisher;
        this.clock = clock;
    }

    /** Runs {@code job} to its end; {@code priTimeoutMs} bounds each wait for a page response or budget. */
    public DmaResult run(DmaJob job, long priTimeoutMs) {
        String rid = job.rid();
        int requests = 0;
        long retried = -1;
        try {
            while (true) {
                PriQueue.Group g;
                PageRequest request;
                DmaStep.PageMiss miss;
                DmaResult finished = null;
                long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(priTimeoutMs);
                synchronized (platform) {
                    DmaStep s = platform.step(job);
                    PriQueue q = platform.pri(rid);
                    boolean waited = false;
                    while (s instanceof DmaStep.PageMiss && !q.hasRoom()) {
                        long left = deadline - System.nanoTime();
                        if (left <= 0) {
                            return platform.fault(rid, "page request timed out (PRI outstanding budget of " + q.budget() + " used up)");
                        }
                        platform.wait(TimeUnit.NANOSECONDS.toMillis(left) + 1);
                        waited = true;
                    }
                    if (waited) {
                        // the lock was released while waiting: the attachment or tables may have changed
                        s = platform.step(job);
                    }
                    if (s instanceof DmaStep.Done d) {
                        finished = d.result();
                        miss = null;
                        g = null;
                        request = null;
                    } else {
                        miss = (DmaStep.PageMiss) s;
                        if (miss.page() == retried) {
                            return platform.fault(rid, String.format(
                                    "translation fault at 0x%x (still no mapping after a successful page request)", job.address()));
                        }
                        if (!q.hasRoom()) {
                            continue; // taken by another DMA between the two looks
                        }
                        g = platform.openPageRequest(rid, job.pasid(), miss);
                        request = new PageRequest(platform.iommuOf(rid), rid, job.pasid(), g.grpid(),
                                !job.write(), job.write(), false, job.priv(), miss.page(), true, miss.domain(), miss.faultId());
                    }
                }
                if (finished != null) {
                    publishEvents(job);
                    return "OK".equals(finished.status()) ? DmaResult.ok(finished.data(), requests) : finished;
                }
                requests++;
                try {
                    send(request.domain(), request);
                } catch (RuntimeException e) {
                    synchronized (platform) {
                        platform.pri(rid).abandon(g);
                        return platform.fault(rid, "page request not sent: " + e.getMessage());
                    }
                }
                synchronized (platform) {
                    while (g.pending()) {
                        long left = deadline - System.nanoTime();
                        if (left <= 0) {
                            platform.pri(rid).abandon(g);
                            return platform.fault(rid, String.format("page request timed out (0x%x, PRGI %d)", miss.page(), g.grpid()));
                        }
                        platform.wait(TimeUnit.NANOSECONDS.toMillis(left) + 1);
                    }
                    switch (g.state()) {
                        case SUCCESS -> retried = miss.page();
                        case INVALID -> {
                            return platform.fault(rid, String.format("page request for 0x%x answered INVALID", miss.page()));
                        }
                        case DETACHED -> {
                            return platform.fault(rid, String.format("device detached while its page request for 0x%x was pending", miss.page()));
                        }
                        default -> {
                            return platform.fault(rid, "page request ended: " + g.state());
                        }
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            synchronized (platform) {
                return platform.fault(rid, "DMA interrupted");
            }
        }
    }

    /** POST …/page-requests: one request into the attachment's fault queue; returns the event sent. */
    public EventEnvelope injectPageRequest(String rid, Integer pasid, int grpid, boolean read, boolean write, boolean exec,
                                           boolean priv, long addr, boolean last) {
        PageRequest request;
        PriQueue.Group g;
        synchronized (platform) {
            g = platform.injectPageRequest(rid, pasid, grpid, addr, last);
            request = new PageRequest(platform.iommuOf(rid), rid, pasid, grpid, read, write, exec, priv,
                    addr & -4096L, last, g.domain(), g.faultId());
        }
        try {
            return send(g.domain(), request);
        } catch (RuntimeException e) {
            synchronized (platform) {
                platform.pri(rid).abandon(g); // never sent: it must not hold the budget forever
            }
            throw e;
        }
    }

    /** POST /v1/hw/iommus/{id}/events: one hardware event record; returns the event sent. */
    public EventEnvelope injectEvent(String iommu, String rid, String type, long addr, Integer pasid) {
        HwEvent ev;
        synchronized (platform) {
            ev = platform.injectEvent(iommu, rid, type, addr, pasid);
        }
        return send(ev.domain(), ev);
    }

    private void publishEvents(DmaJob job) {
        for (HwEvent ev : job.events()) {
            try {
                send(ev.domain(), ev);
            } catch (RuntimeException e) {
                LOG.warnf("hardware event of %s not published: %s", ev.rid(), e.getMessage());
            }
        }
        job.events().clear();
    }

    /** Numbers {@code payload} and hands it off in one step, then waits for the broker. */
    private EventEnvelope send(String domain, EventPayload payload) {
        EventEnvelope e;
        CompletableFuture<Void> acked;
        synchronized (sendOrder) {
            e = envelope(domain, payload);
            acked = publisher.send(e);
        }
        try {
            acked.join();
        } catch (java.util.concurrent.CompletionException x) {
            throw x.getCause() instanceof RuntimeException r ? r : x;
        }
        return e;
    }

    private EventEnvelope envelope(String domain, EventPayload payload) {
        String iommu = payload instanceof PageRequest p ? p.iommu() : ((HwEvent) payload).iommu();
        return new EventEnvelope(EventEnvelope.SCHEMA_VERSION, UUID.randomUUID().toString(), SOURCE, contextOf(domain), iommu,
                sequence.next(), UUID.randomUUID().toString(), clock.instant(), TraceContext.newTraceparent(), payload);
    }

    /** The context of a domain id {@code <context>/<hwpt id>}, null for none. */
    static String contextOf(String domain) {
        if (domain == null) {
            return null;
        }
        int slash = domain.indexOf('/');
        return slash < 0 ? domain : domain.substring(0, slash);
    }
}
