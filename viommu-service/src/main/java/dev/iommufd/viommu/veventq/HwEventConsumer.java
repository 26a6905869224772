package dev.iommufd.viommu.veventq;

import dev.iommufd.contract.events.EventEnvelope;
import dev.iommufd.contract.events.EventJson;
import dev.iommufd.contract.events.HwEvent;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.Locale;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/**
 * Hardware events from hw-sim ({@code iommufd.hw.events}) into vEVENTQs, as the kernel's
 * {@code arm_vmaster_report_event}: physical SID → the vdevice bound to it → its vIOMMU → that
 * vIOMMU's ARM_SMMUV3 vEVENTQ; the record's StreamID (evt[0] bits 63:32) becomes the vSID. As
 * {@code arm_smmu_handle_evt}, only a device attached to a nested HWPT of that vIOMMU (its
 * {@code vmaster}) reports to the guest, and never a stage-2 fault (word 1 bit 39). An event with
 * no vdevice, not nested, stage 2, no queue, or from VT-d (no VT-d vEVENTQ type) is dropped and counted
 * ({@code iommufd_viommu_events_dropped_total{reason}}); reports are counted by outcome
 * ({@code iommufd_viommu_events_reported_total{outcome=queued|lost}}).
 *
 * <p>One consumer group for all replicas (committed offsets, from the earliest record when it is
 * new): events published while the service was down arrive after its restart, and each event goes
 * to one replica. The store skips a redelivered record (its sequence mark).
 */
@ApplicationScoped
public class HwEventConsumer {
    @Inject
    VeventqStore store;

    @Inject
    EventStreams streams;

    @Inject
    MeterRegistry meters;

    @Incoming("hw-events")
    public Uni<Void> onEvent(String json) {
        EventEnvelope env = EventJson.read(json);
        if (!(env.payload() instanceof HwEvent e)) {
            return Uni.createFrom().voidItem();
        }
        if (e.sid() == null) {
            dropped("no_smmu_sid");
            return Uni.createFrom().voidItem();
        }
        return store.report(env, e).invoke(o -> {
            switch (o.result()) {
                case QUEUED, LOST -> {
                    meters.counter("iommufd.viommu.events.reported", "outcome", o.result().name().toLowerCase(Locale.ROOT)).increment();
                    streams.wake(o.ctx(), o.queue());
                }
                case NO_VDEVICE, NOT_NESTED, STAGE2, NO_VEVENTQ -> dropped(o.result().name().toLowerCase(Locale.ROOT));
                case DUPLICATE -> meters.counter("iommufd.viommu.events.duplicates").increment();
            }
        }).replaceWithVoid();
    }

    private void dropped(String reason) {
        meters.counter("iommufd.viommu.events.dropped", "reason", reason).increment();
    }
}
