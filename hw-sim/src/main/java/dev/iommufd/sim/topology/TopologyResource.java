package dev.iommufd.sim.topology;

import dev.iommufd.contract.topology.DeviceSpec;
import dev.iommufd.contract.topology.IommuSpec;
import dev.iommufd.contract.topology.Topology;

import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.List;
import java.util.Map;

@Path("/v1/hw")
@Produces(MediaType.APPLICATION_JSON)
public class TopologyResource {
    @Inject
    Topology topology;

    @GET
    @Path("iommus")
    public Map<String, List<IommuSpec>> iommus() {
        return Map.of("iommus", topology.iommus());
    }

    @GET
    @Path("devices")
    public Map<String, List<DeviceSpec>> devices() {
        return Map.of("devices", topology.devices());
    }
}
