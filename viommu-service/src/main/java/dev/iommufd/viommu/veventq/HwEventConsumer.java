package dev.iommufd.viommu.veventq;

import dev.iommufd.contract.events.EventEnvelope;
import dev.iommufd.contract.events.EventJson;
import dev.iommufd.contract.events.HwEvent;
import dev.iommufd.viommu.vdevice.Vdevice;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/**
 * Hardware events from hw-sim ({@code iommufd.hw.events}) into vEVENTQs, as the kernel's
 * {@code arm_vmaster_report_event}: physical SID → the vdevice bound to it → its vIOMMU → that
 * vIOMMU's ARM_SMMUV3 vEVENTQ; the record's StreamID (evt[0] bits 63:32) becomes the vSID. An
 * event with no vdevice, no queue, or from VT-d (no VT-d vEVENTQ type) is dropped and counted
 * ({@code iommufd_viommu_events_dropped_total{reason}}).
 */
@ApplicationScoped
public class HwEventConsumer {
    @Inject
    EventRings rings;

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
        // the envelope names the context of the domain the device was attached to (a device is bound in one context)
        return Panache.withSession(() -> (env.contextId() == null
                        ? Vdevice.<Vdevice>find("iommu = ?1 and sid = ?2", e.iommu(), e.sid())
                        : Vdevice.<Vdevice>find("iommu = ?1 and sid = ?2 and contextId = ?3", e.iommu(), e.sid(), env.contextId()))
                .firstResult()
                .flatMap(vd -> {
                    if (vd == null) {
                        dropped("no_vdevice");
                        return Uni.createFrom().voidItem();
                    }
                    return Veventq.<Veventq>find("contextId = ?1 and viommuId = ?2 and type = ?3", vd.contextId, vd.viommuId, "ARM_SMMUV3")
                            .firstResult().invoke(q -> {
                                if (q == null) {
                                    dropped("no_veventq");
                                } else {
                                    rings.of(q).report(new EventRing.VEvent(vd.virtId, e.type(), e.code(), e.addr(), withVsid(e.evt(), vd.virtId)));
                                }
                            }).replaceWithVoid();
                }));
    }

    /** evt[0] carries the StreamID in bits 63:32: the guest sees its vSID there. */
    static List<Long> withVsid(List<Long> evt, long vsid) {
        List<Long> out = new ArrayList<>(evt == null ? List.of() : evt);
        if (!out.isEmpty()) {
            out.set(0, (out.get(0) & 0xffffffffL) | (vsid << 32));
        }
        return out;
    }

    private void dropped(String reason) {
        meters.counter("iommufd.viommu.events.dropped", "reason", reason).increment();
    }
}
