package dev.iommufd.sim.platform;

import dev.iommufd.contract.events.AttachDevice;
import dev.iommufd.contract.events.DomainCreate;
import dev.iommufd.contract.events.DomainDestroy;
import dev.iommufd.contract.events.EventPayload;
import dev.iommufd.contract.events.InvalidateAtc;
import dev.iommufd.contract.events.InvalidateIotlb;
import dev.iommufd.contract.events.MapRange;
import dev.iommufd.contract.events.SetDirtyTracking;
import dev.iommufd.contract.events.UnmapRange;
import dev.iommufd.contract.topology.DeviceSpec;
import dev.iommufd.contract.topology.IommuSpec;
import dev.iommufd.contract.topology.Topology;
import dev.iommufd.sim.cache.CachedTranslation;
import dev.iommufd.sim.cache.TranslationCache;
import dev.iommufd.sim.dma.DmaResult;
import dev.iommufd.sim.memory.HostMemory;
import dev.iommufd.sim.pagetable.DomainTable;
import dev.iommufd.sim.pagetable.Leaf;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.jboss.logging.Logger;

/**
 * The simulated hardware: domains' page tables, device attachments, IOTLBs (one per IOMMU), ATCs
 * (one per ATS device), and the DMA path through them. Knows the authoritative tables, so it can
 * tell when a DMA used a translation that should no longer exist. Not thread-safe: callers
 * serialise (the command queue and the DMA endpoint share one lock).
 */
public final class Platform {
    private static final Logger LOG = Logger.getLogger(Platform.class);
    private static final long PAGE = 4096;

    private final Topology topology;
    private final HostMemory memory;
    private final TreeMap<String, DomainTable> domains = new TreeMap<>();
    private final TreeMap<String, String> attachments = new TreeMap<>();
    private final Map<String, TranslationCache> iotlbs = new LinkedHashMap<>();
    private final Map<String, TranslationCache> atcs = new LinkedHashMap<>();
    private final Map<String, Counters> counters = new LinkedHashMap<>();

    public Platform(Topology topology, HostMemory memory) {
        this.topology = topology;
        this.memory = memory;
        for (IommuSpec i : topology.iommus()) {
            iotlbs.put(i.id(), new TranslationCache(i.iotlbSize()));
            counters.put(i.id(), new Counters());
        }
        for (DeviceSpec d : topology.devices()) {
            if (d.ats()) {
                atcs.put(d.rid(), new TranslationCache(64));
            }
        }
    }

    /** Applies one programming or invalidation command. */
    public void apply(EventPayload p) {
        if (p instanceof DomainCreate c) {
            iommu(c.iommu());
            domains.putIfAbsent(c.domain(), new DomainTable(c.domain(), c.iommu(), c.addressWidth(), c.hugePages()));
        } else if (p instanceof DomainDestroy d) {
            domains.remove(d.domain());
            attachments.values().removeIf(d.domain()::equals);
            iotlbs.values().forEach(t -> t.invalidate(d.domain(), 0, 0));
            atcs.values().forEach(t -> t.invalidate(d.domain(), 0, 0));
        } else if (p instanceof MapRange m) {
            domain(m.domain()).map(m.iova(), m.length(), m.hostPa(), m.read(), m.write());
        } else if (p instanceof UnmapRange u) {
            domain(u.domain()).unmap(u.iova(), u.length());
        } else if (p instanceof AttachDevice a) {
            device(a.rid());
            String key = attachKey(a.rid(), a.pasid());
            if (a.domain() == null) {
                attachments.remove(key);
            } else {
                domain(a.domain());
                attachments.put(key, a.domain());
            }
            // a replace or detach drops what the device cached of its old domain
            TranslationCache atc = atcs.get(a.rid());
            if (atc != null) {
                atc.invalidate(null, 0, 0);
            }
        } else if (p instanceof InvalidateIotlb i) {
            iommu(i.iommu());
            iotlbs.get(i.iommu()).invalidate(i.domain(), i.iova(), i.length());
            counters.get(i.iommu()).invalidation(i.length() == 0 ? "IOTLB_DOMAIN" : "IOTLB_PAGE");
        } else if (p instanceof InvalidateAtc i) {
            DeviceSpec d = device(i.rid());
            TranslationCache atc = atcs.get(i.rid());
            if (atc != null) {
                atc.invalidate(null, i.iova(), i.length());
            }
            counters.get(d.iommu()).invalidation("DEVICE_TLB");
        } else if (p instanceof SetDirtyTracking d) {
            domain(d.domain()).setDirtyTracking(d.enable());
        } else {
            throw new IllegalArgumentException("not a hardware command: " + p.getClass().getSimpleName());
        }
    }

    /** A DMA of {@code length} bytes at {@code iova} by device {@code rid} (RID or RID+PASID). */
    public DmaResult dma(String rid, Integer pasid, long iova, int length, boolean write, byte[] data) {
        DeviceSpec dev = device(rid);
        Counters c = counters.get(dev.iommu());
        String domainId = attachments.get(attachKey(rid, pasid));
        if (domainId == null) {
            c.faults++;
            return DmaResult.fault("DMA blocked: " + rid + (pasid == null ? "" : " PASID " + pasid) + " is not attached");
        }
        byte[] out = write ? null : new byte[length];
        long done = 0;
        while (done < length) {
            long addr = iova + done;
            int chunk = (int) Math.min(length - done, PAGE - (addr & (PAGE - 1)));
            Leaf leaf = translate(dev, c, domainId, pasid, addr);
            if (leaf == null) {
                c.faults++;
                return DmaResult.fault(String.format("translation fault at 0x%x (no mapping)", addr));
            }
            if (write ? !leaf.write() : !leaf.read()) {
                c.faults++;
                return DmaResult.fault(String.format("permission fault at 0x%x (%s not allowed)", addr, write ? "write" : "read"));
            }
            long pa = leaf.translate(addr);
            if (write) {
                byte[] part = new byte[chunk];
                System.arraycopy(data, (int) done, part, 0, chunk);
                memory.write(pa, part);
                domain(domainId).written(addr);
            } else {
                System.arraycopy(memory.read(pa, chunk), 0, out, (int) done, chunk);
            }
            done += chunk;
        }
        return DmaResult.ok(write ? null : Base64.getEncoder().encodeToString(out));
    }

    /** The host PA a DMA by {@code rid} at {@code addr} would use, or -1 on a fault: the translation path alone. */
    public long translateAddress(String rid, Integer pasid, long addr) {
        DeviceSpec dev = device(rid);
        String domainId = attachments.get(attachKey(rid, pasid));
        if (domainId == null) {
            return -1;
        }
        Leaf leaf = translate(dev, counters.get(dev.iommu()), domainId, pasid, addr);
        return leaf == null ? -1 : leaf.translate(addr);
    }

    /** ATC (ATS devices) → IOTLB → page walk; fills the caches on the way back. */
    private Leaf translate(DeviceSpec dev, Counters c, String domainId, Integer pasid, long addr) {
        DomainTable table = domain(domainId);
        TranslationCache atc = atcs.get(dev.rid());
        if (atc != null) {
            CachedTranslation hit = atc.lookup(domainId, pasid, addr);
            if (hit != null) {
                c.atcHits++;
                return checked(c, table, hit, addr, "ATC of " + dev.rid());
            }
        }
        TranslationCache iotlb = iotlbs.get(dev.iommu());
        CachedTranslation hit = iotlb.lookup(domainId, pasid, addr);
        if (hit != null) {
            c.iotlbHits++;
            if (atc != null) {
                atc.fill(domainId, pasid, hit.leaf(), hit.unmaps());
            }
            return checked(c, table, hit, addr, "IOTLB of " + dev.iommu());
        }
        c.iotlbMisses++;
        c.walks++;
        Leaf leaf = table.walk(addr);
        if (leaf != null) {
            iotlb.fill(domainId, pasid, leaf, table.unmaps());
            if (atc != null) {
                atc.fill(domainId, pasid, leaf, table.unmaps());
            }
        }
        return leaf;
    }

    /** The hardware uses a cached entry as it is; we count it when the real table no longer has it. */
    private Leaf checked(Counters c, DomainTable table, CachedTranslation hit, long addr, String where) {
        if (hit.unmaps() == table.unmaps()) {
            return hit.leaf(); // nothing was unmapped since it was cached
        }
        Leaf now = table.walk(addr);
        if (now == null || now.generation() != hit.leaf().generation()) {
            c.staleTranslations++;
            LOG.warnf("stale translation: %s served 0x%x of domain %s from a removed mapping", where, addr, table.id());
        }
        return hit.leaf();
    }

    /** The dirty pages of a domain's range, cleared unless {@code noClear}. */
    public java.util.List<Long> readDirty(String domainId, long iova, long length, boolean noClear) {
        return domain(domainId).readDirty(iova, length, noClear);
    }

    public Map<String, Counters> counters() {
        return counters;
    }

    public Counters totals() {
        Counters t = new Counters();
        counters.values().forEach(c -> c.addTo(t));
        return t;
    }

    public TranslationCache iotlb(String iommu) {
        return iotlbs.get(iommu(iommu).id());
    }

    /** The ATC of an ATS device, or null for one without ATS. */
    public TranslationCache atc(String rid) {
        device(rid);
        return atcs.get(rid);
    }

    public boolean hasDomain(String id) {
        return domains.containsKey(id);
    }

    /** SHA-256 over domains (leaves) and attachments: what replay must reproduce. */
    public String digest() {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (DomainTable d : domains.values()) {
                md.update(("D " + d.id() + " " + d.iommu() + "\n").getBytes(StandardCharsets.UTF_8));
                for (Leaf l : d.leaves()) {
                    md.update(String.format("L %x %x %x %b %b%n", l.iova(), l.size(), l.pa(), l.read(), l.write())
                            .getBytes(StandardCharsets.UTF_8));
                }
            }
            attachments.forEach((k, v) -> md.update(("A " + k + " " + v + "\n").getBytes(StandardCharsets.UTF_8)));
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String attachKey(String rid, Integer pasid) {
        return rid + (pasid == null ? "" : "/" + pasid);
    }

    private DomainTable domain(String id) {
        DomainTable d = domains.get(id);
        if (d == null) {
            throw new IllegalArgumentException("no domain " + id);
        }
        return d;
    }

    private IommuSpec iommu(String id) {
        return topology.iommu(id).orElseThrow(() -> new IllegalArgumentException("no IOMMU " + id));
    }

    private DeviceSpec device(String rid) {
        return topology.device(Objects.requireNonNull(rid, "rid")).orElseThrow(() -> new IllegalArgumentException("no device " + rid));
    }
}
