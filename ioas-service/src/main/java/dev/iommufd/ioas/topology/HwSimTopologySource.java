package dev.iommufd.ioas.topology;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.iommufd.contract.api.Errno;
import dev.iommufd.contract.api.ErrnoException;
import dev.iommufd.contract.topology.DeviceSpec;
import dev.iommufd.contract.topology.IommuSpec;
import dev.iommufd.contract.topology.Topology;
import dev.iommufd.ioas.config.IoasConfig;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.eclipse.microprofile.rest.client.inject.RestClient;

/**
 * Fetches the topology from hw-sim once and keeps it (the hardware does not change while it runs).
 * With {@code iommufd.ioas.topology=default} it uses API.md's default platform without asking
 * (tests of this service alone).
 */
@ApplicationScoped
public class HwSimTopologySource implements TopologySource {
    @Inject
    @RestClient
    HwSimClient client;

    @Inject
    IoasConfig config;

    @Inject
    ObjectMapper json;

    private volatile Topology cached;

    @Override
    public Uni<Topology> topology() {
        Topology t = cached;
        if (t != null) {
            return Uni.createFrom().item(t);
        }
        if ("default".equals(config.topology())) {
            cached = Topology.defaults();
            return Uni.createFrom().item(cached);
        }
        return Uni.combine().all().unis(client.iommus(), client.devices()).asTuple()
                .ifNoItem().after(Duration.ofSeconds(5)).fail()
                .map(tuple -> {
                    try {
                        List<IommuSpec> iommus = Arrays.asList(json.treeToValue(tuple.getItem1().get("iommus"), IommuSpec[].class));
                        List<DeviceSpec> devices = Arrays.asList(json.treeToValue(tuple.getItem2().get("devices"), DeviceSpec[].class));
                        cached = new Topology(iommus, devices);
                        return cached;
                    } catch (Exception e) {
                        throw new IllegalStateException("hw-sim topology unreadable: " + e.getMessage(), e);
                    }
                })
                .onFailure(t2 -> !(t2 instanceof IllegalStateException))
                .transform(t2 -> ErrnoException.of(Errno.EIO, "hw-sim topology unavailable: %s", t2.getMessage()));
    }
}
