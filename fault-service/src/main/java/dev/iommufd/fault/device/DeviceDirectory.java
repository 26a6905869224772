package dev.iommufd.fault.device;

import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.WebApplicationException;
import java.time.Duration;
import org.eclipse.microprofile.rest.client.inject.RestClient;
import org.jboss.logging.Logger;

/**
 * The DEVICE id of a requester. Not cached: a RID can be unbound and bound again under a new id,
 * and only ioas-service knows. A 404 means the context has no such device (null). When
 * ioas-service cannot be reached after a few tries the answer is null too, so the group is
 * answered INVALID rather than left waiting forever (the device may retry).
 */
@ApplicationScoped
public class DeviceDirectory {
    private static final Logger LOG = Logger.getLogger(DeviceDirectory.class);

    @Inject
    @RestClient
    Devices devices;

    public Uni<Integer> deviceId(String ctx, String rid) {
        return devices.byRid(ctx, rid)
                .map(d -> (Integer) d.id())
                .onFailure(DeviceDirectory::notFound).recoverWithNull()
                .onFailure().retry().withBackOff(Duration.ofMillis(100), Duration.ofSeconds(1)).atMost(4)
                .onFailure().recoverWithItem(t -> {
                    LOG.warnf("no device id for %s in context %s: %s", rid, ctx, t.toString());
                    return null;
                });
    }

    private static boolean notFound(Throwable t) {
        return t instanceof WebApplicationException w && w.getResponse().getStatus() == 404;
    }
}
