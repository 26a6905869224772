package dev.iommufd.sim.events;

import dev.iommufd.contract.events.EventEnvelope;
import dev.iommufd.contract.events.EventJson;
import dev.iommufd.sim.platform.Platform;
import dev.iommufd.sim.queue.CommandQueues;
import dev.iommufd.sim.queue.CostModel;
import dev.iommufd.contract.topology.Topology;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.reactive.messaging.kafka.KafkaRecord;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.annotations.Blocking;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Clock;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/** Kafka edge of the command queues: decode, apply in order, publish what the hardware answers. */
@ApplicationScoped
public class HwCommandConsumer {
    private final CommandQueues queues;

    @Inject
    @Channel("hw-completions")
    MutinyEmitter<String> completions;

    @Inject
    MeterRegistry metrics;

    @Inject
    public HwCommandConsumer(Topology topology, Platform platform, dev.iommufd.sim.config.CostConfig cost) {
        this.queues = new CommandQueues(topology, platform, Clock.systemUTC(), CostModel.of(cost.model(), cost.nanos()));
    }

    /** A failure here nacks the record: it goes to the dead-letter topic and the stream moves on. */
    @Incoming("hw-commands")
    @Blocking(ordered = true)
    public void onCommand(String json) {
        EventEnvelope command = EventJson.read(json);
        for (EventEnvelope out : queues.apply(command)) {
            completions.sendMessageAndAwait(KafkaRecord.of(out.key(), EventJson.write(out)));
        }
        metrics.counter("hwsim.commands", "kind", command.payload().getClass().getSimpleName()).increment();
    }
}
