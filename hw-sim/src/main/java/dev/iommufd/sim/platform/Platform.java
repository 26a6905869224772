package dev.iommufd.sim.platform;

import dev.iommufd.contract.events.AttachDevice;
import dev.iommufd.contract.events.DomainCreate;
import dev.iommufd.contract.events.DomainDestroy;
import dev.iommufd.contract.events.EventPayload;
import dev.iommufd.contract.events.InvalidateAtc;
import dev.iommufd.contract.events.InvalidateBatch;
import dev.iommufd.contract.events.HwEvent;
import dev.iommufd.contract.events.InvalidateIotlb;
import dev.iommufd.contract.events.MapRange;
import dev.iommufd.contract.events.NestedDomainCreate;
import dev.iommufd.contract.events.PageResponse;
import dev.iommufd.contract.events.SetDirtyTracking;
import dev.iommufd.contract.events.SmmuCommands;
import dev.iommufd.contract.events.UnmapRange;
import dev.iommufd.contract.events.ViommuAlloc;
import dev.iommufd.contract.events.ViommuFree;
import dev.iommufd.contract.topology.IommuType;
import dev.iommufd.contract.topology.DeviceSpec;
import dev.iommufd.contract.topology.IommuSpec;
import dev.iommufd.contract.topology.Topology;
import dev.iommufd.sim.cache.CachedTranslation;
import dev.iommufd.sim.cache.ConfigCache;
import dev.iommufd.sim.cache.TranslationCache;
import dev.iommufd.sim.dma.DmaJob;
import dev.iommufd.sim.dma.DmaResult;
import dev.iommufd.sim.dma.DmaStep;
import dev.iommufd.sim.memory.HostMemory;
import dev.iommufd.sim.pagetable.DomainTable;
import dev.iommufd.sim.pagetable.Leaf;
import dev.iommufd.sim.pri.PriQueue;
import dev.iommufd.sim.smmu.EventRecords;
import dev.iommufd.sim.smmu.SmmuCmd;
import dev.iommufd.sim.walk.Access;
import dev.iommufd.sim.walk.GuestMemory;
import dev.iommufd.sim.walk.SmmuV3Stage1Walker;
import dev.iommufd.sim.walk.Stage2;
import dev.iommufd.sim.walk.VtdFirstLevelWalker;
import dev.iommufd.sim.walk.WalkFault;
import dev.iommufd.sim.walk.WalkResult;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
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
 * The simulated hardware: domains' page tables (paging and nested), vIOMMUs, device attachments,
 * IOTLBs (one per IOMMU), ATCs (one per ATS device), PRI state (one per PRI device) and the DMA
 * path through them. Knows the authoritative tables, so it can tell when a DMA used a translation
 * that should no longer exist. Not thread-safe: callers serialise on this object's monitor (the
 * command queue and the DMA engine share it); the DMA engine waits for page responses with
 * {@code wait()} on it, so whatever ends a page-request group calls {@code notifyAll()}.
 */
public final class Platform {
    private static final Logger LOG = Logger.getLogger(Platform.class);
    private static final long PAGE = 4096;

    /** A guest stage-1 domain over a NEST_PARENT paging domain. */
    record Nested(String id, String iommu, String parent, String viommu, NestedDomainCreate.VtdS1 vtd,
                  NestedDomainCreate.SmmuSte smmu) {}

    /** A configuration-cache entry: the nested domain it was decoded for and the decoded config. */
    record CachedConfig(String domain, Object config) {}

    /** A vIOMMU and the VMID it got (SMMUv3; allocated in stream order, so replay gives the same). */
    record Viommu(String id, String iommu, String parent, String type, int vmid) {}

    private final Topology topology;
    private final HostMemory memory;
    private final TreeMap<String, DomainTable> domains = new TreeMap<>();
    private final TreeMap<String, Nested> nested = new TreeMap<>();
    private final TreeMap<String, Viommu> viommus = new TreeMap<>();
    private final Map<String, Integer> nextVmid = new LinkedHashMap<>();
    /** Fault queue of each HWPT that has one (paging or nested). */
    private final Map<String, Integer> faultIds = new LinkedHashMap<>();
    private final TreeMap<String, String> attachments = new TreeMap<>();
    private final Map<String, TranslationCache> iotlbs = new LinkedHashMap<>();
    /** Configuration caches per IOMMU (VT-d PASID entries, SMMUv3 STE+CD) of nested translations. */
    private final Map<String, ConfigCache<CachedConfig>> configs = new LinkedHashMap<>();
    private final Map<String, TranslationCache> atcs = new LinkedHashMap<>();
    private final Map<String, PriQueue> pri = new LinkedHashMap<>();
    private final Map<String, Counters> counters = new LinkedHashMap<>();

    public Platform(Topology topology, HostMemory memory) {
        this.topology = topology;
        this.memory = memory;
        for (IommuSpec i : topology.iommus()) {
            iotlbs.put(i.id(), new TranslationCache(i.iotlbSize()));
            configs.put(i.id(), new ConfigCache<>(ConfigCache.DEFAULT_CAPACITY));
            counters.put(i.id(), new Counters());
            nextVmid.put(i.id(), 1);
        }
        for (DeviceSpec d : topology.devices()) {
            if (d.ats()) {
                atcs.put(d.rid(), new TranslationCache(64));
            }
            if (d.priOutstanding() > 0) {
                pri.put(d.rid(), new PriQueue(d.priOutstanding()));
            }
        }
    }

    /** Applies one programming or invalidation command; IllegalArgumentException = malformed (nothing changed). */
    public void apply(EventPayload p) {
        if (p instanceof DomainCreate c) {
            iommu(c.iommu());
            if (domains.containsKey(c.domain()) || nested.containsKey(c.domain())) {
                return;
            }
            domains.put(c.domain(), new DomainTable(c.domain(), c.iommu(), c.addressWidth(), c.hugePages()));
            if (c.faultId() != null) {
                faultIds.put(c.domain(), c.faultId());
            }
        } else if (p instanceof NestedDomainCreate n) {
            createNested(n);
        } else if (p instanceof DomainDestroy d) {
            endGroupsOfDomain(d.domain());
            domains.remove(d.domain());
            nested.remove(d.domain());
            faultIds.remove(d.domain());
            attachments.values().removeIf(d.domain()::equals);
            iotlbs.values().forEach(t -> t.invalidate(d.domain(), 0, 0));
            atcs.values().forEach(t -> t.invalidate(d.domain(), 0, 0));
            configs.values().forEach(ConfigCache::clear);
        } else if (p instanceof MapRange m) {
            table(m.domain()).map(m.iova(), m.length(), m.hostPa(), m.read(), m.write());
        } else if (p instanceof UnmapRange u) {
            table(u.domain()).unmap(u.iova(), u.length());
        } else if (p instanceof AttachDevice a) {
            device(a.rid());
            String key = attachKey(a.rid(), a.pasid());
            if (a.domain() != null) {
                requireDomain(a.domain());
            }
            String old = attachments.get(key);
            if (old != null && !old.equals(a.domain())) {
                endGroups(a.rid(), a.pasid(), old);
            }
            if (a.domain() == null) {
                attachments.remove(key);
            } else {
                attachments.put(key, a.domain());
            }
            // the host driver invalidates the configuration it just rewrote: a RID attach rewrites the
            // context entry / STE, under which every PASID's entry hangs; a PASID attach only its entry
            ConfigCache<CachedConfig> cc = configs.get(device(a.rid()).iommu());
            if (a.pasid() == null) {
                cc.invalidateRid(a.rid());
            } else {
                cc.invalidate(a.rid(), a.pasid());
            }
            // a replace or detach drops what the device cached of its old domain
            TranslationCache atc = atcs.get(a.rid());
            if (atc != null) {
                atc.invalidate(null, 0, 0);
            }
        } else if (p instanceof InvalidateIotlb i) {
            iommu(i.iommu());
            invalidateIotlb(i.iommu(), i.domain(), i.iova(), i.length());
        } else if (p instanceof InvalidateAtc i) {
            invalidateAtc(device(i.rid()), i.iova(), i.length());
        } else if (p instanceof InvalidateBatch b) {
            invalidateBatch(b);
        } else if (p instanceof SetDirtyTracking d) {
            table(d.domain()).setDirtyTracking(d.enable());
        } else if (p instanceof PageResponse r) {
            pageResponse(r);
        } else if (p instanceof ViommuAlloc v) {
            IommuSpec i = iommu(v.iommu());
            table(v.parent());
            if (!viommus.containsKey(v.viommu())) {
                int vmid = nextVmid.merge(i.id(), 1, Integer::sum) - 1;
                viommus.put(v.viommu(), new Viommu(v.viommu(), i.id(), v.parent(), v.type(), vmid));
            }
        } else if (p instanceof ViommuFree f) {
            Viommu v = viommus.get(f.viommu());
            if (v != null) {
                Set<String> gone = nestedOf(v.iommu(), v.vmid());
                iotlbs.get(v.iommu()).invalidateIf(e -> gone.contains(e.domain()));
                viommus.remove(f.viommu());
            }
        } else if (p instanceof SmmuCommands s) {
            smmuCommands(s);
        } else {
            throw new IllegalArgumentException("not a hardware command: " + p.getClass().getSimpleName());
        }
    }

    /** INV_IOTLB: {@code domain}'s entries in {@code iommu}'s IOTLB over the range (all when length is 0). */
    private void invalidateIotlb(String iommu, String domain, long iova, long length) {
        iotlbs.get(iommu).invalidate(domain, iova, length);
        // Combined stage-1+stage-2 entries of nested domains over this parent may hold the old
        // stage 2: they go too, whole (Linux: TLBI_NH_ALL of the VMID and a full ATC flush when
        // a nest parent changes), since the control plane only knows the parent.
        for (Nested n : nested.values()) {
            if (n.parent().equals(domain)) {
                iotlbs.get(n.iommu()).invalidate(n.id(), 0, 0);
                atcs.values().forEach(t -> t.invalidate(n.id(), 0, 0));
            }
        }
        counters.get(iommu).invalidation(length == 0 ? "IOTLB_DOMAIN" : "IOTLB_PAGE");
    }

    /** INV_ATC: the device-TLB of {@code d} over the range (all when length is 0); no ATC (no ATS) = nothing cached. */
    private void invalidateAtc(DeviceSpec d, long iova, long length) {
        TranslationCache atc = atcs.get(d.rid());
        if (atc != null) {
            atc.invalidate(null, iova, length);
        }
        counters.get(d.iommu()).invalidation("DEVICE_TLB");
    }

    /**
     * INV_BATCH: exactly the INV_IOTLB / INV_ATC records it stands for, in order. Checked whole first
     * (IOMMU, one of domain / rid per descriptor, known devices), so a malformed batch changes nothing,
     * as SMMU_CMDS.
     */
    private void invalidateBatch(InvalidateBatch b) {
        iommu(b.iommu());
        if (b.invs() == null) {
            throw new IllegalArgumentException("INV_BATCH without invs");
        }
        List<DeviceSpec> devs = new ArrayList<>(b.invs().size());
        for (InvalidateBatch.Inv inv : b.invs()) {
            if (inv == null || (inv.domain() == null) == (inv.rid() == null)) {
                throw new IllegalArgumentException("an INV_BATCH descriptor names exactly one of domain / rid");
            }
            devs.add(inv.rid() == null ? null : device(inv.rid()));
        }
        for (int k = 0; k < b.invs().size(); k++) {
            InvalidateBatch.Inv inv = b.invs().get(k);
            if (inv.domain() != null) {
                invalidateIotlb(b.iommu(), inv.domain(), inv.iova(), inv.length());
            } else {
                invalidateAtc(devs.get(k), inv.iova(), inv.length());
            }
        }
    }

    private void createNested(NestedDomainCreate n) {
        IommuSpec i = iommu(n.iommu());
        // the parent may be homed on another instance of the same type (a domain shared across IOMMUs)
        table(n.parent());
        if ((n.vtd() == null) == (n.smmu() == null)) {
            throw new IllegalArgumentException("exactly one of vtd / smmu must be set");
        }
        if ((n.vtd() != null) != (i.type() == IommuType.INTEL_VTD)) {
            throw new IllegalArgumentException("nested data does not match " + i.type());
        }
        if (n.viommu() != null) {
            Viommu v = viommus.get(n.viommu());
            if (v == null || !v.iommu().equals(i.id())) {
                throw new IllegalArgumentException("no vIOMMU " + n.viommu() + " on " + i.id());
            }
        }
        if (n.vtd() != null) {
            new VtdFirstLevelWalker.Config(n.vtd().pgtblAddr(), n.vtd().addrWidth(), n.vtd().sre(), n.vtd().eafe(), n.vtd().wpe());
        }
        if (domains.containsKey(n.domain()) || nested.containsKey(n.domain())) {
            return;
        }
        nested.put(n.domain(), new Nested(n.domain(), i.id(), n.parent(), n.viommu(), n.vtd(), n.smmu()));
        if (n.faultId() != null) {
            faultIds.put(n.domain(), n.faultId());
        }
    }

    /** Nested domains on {@code iommu} whose vIOMMU has {@code vmid}. */
    private Set<String> nestedOf(String iommu, int vmid) {
        Set<String> out = new HashSet<>();
        for (Nested n : nested.values()) {
            Viommu v = n.viommu() == null ? null : viommus.get(n.viommu());
            if (n.iommu().equals(iommu) && v != null && v.vmid() == vmid) {
                out.add(n.id());
            }
        }
        return out;
    }

    /** The vIOMMU's commands, decoded and checked first, so a malformed batch changes nothing. */
    private void smmuCommands(SmmuCommands s) {
        IommuSpec i = iommu(s.iommu());
        if (i.type() != IommuType.ARM_SMMUV3) {
            throw new IllegalArgumentException(i.id() + " is not an SMMUv3");
        }
        Viommu v = viommus.get(s.viommu());
        if (v == null || !v.iommu().equals(i.id())) {
            throw new IllegalArgumentException("no vIOMMU " + s.viommu() + " on " + i.id());
        }
        List<SmmuCmd> cmds = new ArrayList<>();
        for (SmmuCommands.Cmd c : s.cmds()) {
            SmmuCmd cmd = SmmuCmd.decode(c);
            if (cmd.sid() >= 0 && cmd.opcode() != SmmuCmd.TLBI_NH_ALL && cmd.opcode() != SmmuCmd.TLBI_NH_ASID
                    && cmd.opcode() != SmmuCmd.TLBI_NH_VA && cmd.opcode() != SmmuCmd.TLBI_NH_VAA) {
                deviceBySid(i.id(), cmd.sid());
            }
            cmds.add(cmd);
        }
        TranslationCache iotlb = iotlbs.get(i.id());
        Set<String> scope = nestedOf(i.id(), v.vmid());
        Counters c = counters.get(i.id());
        for (SmmuCmd cmd : cmds) {
            switch (cmd.opcode()) {
                case SmmuCmd.TLBI_NH_ALL -> iotlb.invalidateIf(e -> scope.contains(e.domain()));
                case SmmuCmd.TLBI_NH_ASID -> iotlb.invalidateIf(e -> scope.contains(e.domain()) && e.asid() == cmd.asid());
                case SmmuCmd.TLBI_NH_VA -> iotlb.invalidateIf(e -> scope.contains(e.domain()) && e.asid() == cmd.asid()
                        && e.overlaps(cmd.address(), cmd.length()));
                case SmmuCmd.TLBI_NH_VAA -> iotlb.invalidateIf(e -> scope.contains(e.domain()) && e.overlaps(cmd.address(), cmd.length()));
                case SmmuCmd.TLBI_NSNH_ALL -> iotlb.invalidate(null, 0, 0);
                case SmmuCmd.ATC_INV -> {
                    TranslationCache atc = atcs.get(deviceBySid(i.id(), cmd.sid()).rid());
                    if (atc != null) {
                        atc.invalidateIf(e -> (cmd.ssid() == null || cmd.ssid().equals(e.pasid())) && e.overlaps(cmd.address(), cmd.length()));
                    }
                }
                case SmmuCmd.CFGI_STE, SmmuCmd.CFGI_CD_ALL -> configs.get(i.id()).invalidateRid(deviceBySid(i.id(), cmd.sid()).rid());
                case SmmuCmd.CFGI_CD -> {
                    String rid = deviceBySid(i.id(), cmd.sid()).rid();
                    configs.get(i.id()).invalidate(rid, cmd.ssid());
                    if (cmd.ssid() == 0) {
                        configs.get(i.id()).invalidate(rid, null); // traffic without SSID uses CD 0
                    }
                }
                default -> {
                    // CMD_SYNC: every earlier command already took effect
                }
            }
            if (cmd.opcode() != SmmuCmd.CMD_SYNC) {
                c.invalidation(cmd.name());
            }
        }
    }

    private DeviceSpec deviceBySid(String iommu, int sid) {
        for (DeviceSpec d : topology.devices()) {
            if (d.iommu().equals(iommu) && d.sid() != null && d.sid() == sid) {
                return d;
            }
        }
        throw new IllegalArgumentException(String.format("no device with StreamID 0x%x on %s", sid, iommu));
    }

    // ---- PRI ----

    private void pageResponse(PageResponse r) {
        DeviceSpec dev = device(r.rid());
        if (!dev.iommu().equals(r.iommu())) {
            throw new IllegalArgumentException("page response for " + r.rid() + " sent for " + r.iommu());
        }
        if (!"SUCCESS".equals(r.code()) && !"INVALID".equals(r.code())) {
            throw new IllegalArgumentException("page response code must be SUCCESS or INVALID, not " + r.code());
        }
        PriQueue q = pri.get(r.rid());
        PriQueue.Group g = q == null ? null : q.respond(r.pasid(), r.grpid(), "SUCCESS".equals(r.code()));
        if (g == null) {
            counters.get(dev.iommu()).unknownResponses++;
            return;
        }
        if (g.state() == PriQueue.State.SUCCESS) {
            // implicit invalidation: the retry must walk the table again, not use a cached miss or old entry
            for (long page : g.pages()) {
                iotlbs.get(dev.iommu()).invalidateIf(e -> e.domain().equals(g.domain()) && e.overlaps(page, PAGE));
                TranslationCache atc = atcs.get(dev.rid());
                if (atc != null) {
                    atc.invalidateIf(e -> e.domain().equals(g.domain()) && e.overlaps(page, PAGE));
                }
            }
        }
        wake();
    }

    /** RID(+PASID) left {@code domain}: its groups of that domain end; waiting DMAs see DETACHED. */
    private void endGroups(String rid, Integer pasid, String domain) {
        PriQueue q = pri.get(rid);
        if (q != null && !q.detach(domain, pasid).isEmpty()) {
            wake();
        }
    }

    private void endGroupsOfDomain(String domain) {
        attachments.forEach((key, d) -> {
            if (d.equals(domain)) {
                int slash = key.indexOf('/');
                endGroups(slash < 0 ? key : key.substring(0, slash), slash < 0 ? null : Integer.valueOf(key.substring(slash + 1)), d);
            }
        });
    }

    private void wake() {
        synchronized (this) {
            notifyAll();
        }
    }

    /** The IOMMU a device is behind. */
    public String iommuOf(String rid) {
        return device(rid).iommu();
    }

    /** The PRI state of a PRI-capable device, null for one without PRI. */
    public PriQueue pri(String rid) {
        device(rid);
        return pri.get(rid);
    }

    /**
     * A page request the DMA engine sends for a miss: opens a group (callers checked
     * {@link PriQueue#hasRoom()}) and counts it.
     */
    public PriQueue.Group openPageRequest(String rid, Integer pasid, DmaStep.PageMiss miss) {
        DeviceSpec dev = device(rid);
        PriQueue.Group g = pri.get(rid).open(miss.domain(), miss.faultId(), pasid, miss.page());
        counters.get(dev.iommu()).pageRequests++;
        return g;
    }

    /**
     * An injected page request (POST …/page-requests): goes to the fault queue of the HWPT the
     * RID (or RID+PASID) is attached to. IllegalArgumentException when the device has no PRI,
     * is not attached, or its HWPT has no fault queue; {@link PriQueue.PriRefusedException} over budget.
     */
    public PriQueue.Group injectPageRequest(String rid, Integer pasid, int grpid, long addr, boolean last) {
        DeviceSpec dev = device(rid);
        PriQueue q = pri.get(rid);
        if (q == null) {
            throw new IllegalArgumentException("device " + rid + " has no PRI capability");
        }
        String domain = attachments.get(attachKey(rid, pasid));
        if (domain == null) {
            throw new IllegalArgumentException(rid + (pasid == null ? "" : " PASID " + pasid) + " is not attached");
        }
        Integer faultId = faultIds.get(domain);
        if (faultId == null) {
            throw new IllegalArgumentException("HWPT " + domain + " has no fault queue");
        }
        PriQueue.Group g = q.inject(domain, faultId, pasid, grpid, addr & -PAGE, last);
        counters.get(dev.iommu()).pageRequests++;
        return g;
    }

    // ---- DMA ----

    /** A DMA without page requests (a miss is a fault): the whole path, for tests and benchmarks. */
    public DmaResult dma(String rid, Integer pasid, long iova, int length, boolean write, byte[] data) {
        DmaJob job = new DmaJob(rid, pasid, iova, length, write, data, false);
        DmaStep s = step(job);
        if (s instanceof DmaStep.Done d) {
            return d.result();
        }
        return fault(rid, String.format("translation fault at 0x%x (no mapping)", job.address()));
    }

    /** Counts and returns a fault the DMA engine decided (page request refused, INVALID, timeout). */
    public DmaResult fault(String rid, String reason) {
        counters.get(device(rid).iommu()).faults++;
        return DmaResult.fault(reason);
    }

    /**
     * Moves {@code job} on until it ends or hits a miss a page request may resolve (the device has
     * PRI and the HWPT a fault queue). Hardware events of recorded faults go to {@code job.events()}.
     */
    public DmaStep step(DmaJob job) {
        DeviceSpec dev = device(job.rid());
        Counters c = counters.get(dev.iommu());
        Integer pasid = job.pasid();
        String domainId = attachments.get(attachKey(job.rid(), pasid));
        if (domainId == null) {
            c.faults++;
            return done(DmaResult.fault("DMA blocked: " + job.rid() + (pasid == null ? "" : " PASID " + pasid) + " is not attached"));
        }
        Integer faultId = faultIds.get(domainId);
        boolean priOk = faultId != null && pri.containsKey(job.rid());
        while (!job.finished()) {
            long addr = job.address();
            int chunk = job.chunk();
            Xlate x = translate(dev, c, domainId, pasid, addr, job.write(), job.priv());
            if (x.leaf() == null) {
                WalkResult.Fault f = x.fault();
                boolean missing = f == null || (!f.stage2() && (f.code() == VtdFirstLevelWalker.FR_FS_PAGING_ENTRY_P
                        || (f.arch().equals(SmmuV3Stage1Walker.ARCH) && f.code() == SmmuV3Stage1Walker.F_TRANSLATION)));
                if (missing && priOk) {
                    return new DmaStep.PageMiss(domainId, faultId, addr & -PAGE);
                }
                c.faults++;
                if (f == null) {
                    return done(DmaResult.fault(String.format("translation fault at 0x%x (no mapping)", addr)));
                }
                boolean recorded = f.arch().equals(VtdFirstLevelWalker.ARCH) || f.recorded();
                if (recorded) {
                    job.events().add(event(dev, pasid, domainId, f, !job.write(), job.priv()));
                }
                return done(DmaResult.fault(String.format("%s at 0x%x: %s", f.name(), addr, f.reason()), recorded));
            }
            Leaf leaf = x.leaf();
            if (job.write() ? !leaf.write() : !leaf.read()) {
                c.faults++;
                return done(DmaResult.fault(String.format("permission fault at 0x%x (%s not allowed)", addr, job.write() ? "write" : "read")));
            }
            long pa = leaf.translate(addr);
            if (job.write()) {
                memory.write(pa, job.nextData(chunk));
                DomainTable t = domains.get(domainId);
                if (t != null) {
                    t.written(addr);
                } else if (x.ipa() >= 0) {
                    // nested: the stage-2 leaf (the parent's PTE) gets the dirty bit, at the IPA
                    table(nested.get(domainId).parent()).written(x.ipa());
                }
                job.advance(null, chunk);
            } else {
                job.advance(memory.read(pa, chunk), chunk);
            }
        }
        return done(DmaResult.ok(job.readData()));
    }

    private static DmaStep done(DmaResult r) {
        return new DmaStep.Done(r);
    }

    private HwEvent event(DeviceSpec dev, Integer pasid, String domainId, WalkResult.Fault f, boolean read, boolean priv) {
        List<Long> evt = f.arch().equals(SmmuV3Stage1Walker.ARCH)
                ? EventRecords.smmu(f.code(), dev.sid() == null ? 0 : dev.sid(), pasid, read, priv, f.stage2(), f.faultClass(),
                        f.address(), f.address2())
                : EventRecords.vtd(f.code(), EventRecords.sourceId(dev.rid()), pasid, read, priv, f.address());
        return new HwEvent(dev.iommu(), dev.rid(), dev.sid(), pasid, domainId, f.name(), f.code(), f.address(), evt);
    }

    /**
     * An injected hardware event (POST /v1/hw/iommus/{id}/events): the record of {@code type} for
     * {@code rid} at {@code addr}, attributed to the device's current domain (or none).
     */
    public HwEvent injectEvent(String iommuId, String rid, String type, long addr, Integer pasid) {
        IommuSpec i = iommu(iommuId);
        DeviceSpec dev = device(rid);
        if (!dev.iommu().equals(i.id())) {
            throw new IllegalArgumentException("device " + rid + " is not behind " + i.id());
        }
        boolean smmu = i.type() == IommuType.ARM_SMMUV3;
        Integer code = (smmu ? EventRecords.SMMU_TYPES : EventRecords.VTD_TYPES).get(type);
        if (code == null) {
            throw new IllegalArgumentException("unknown " + (smmu ? "SMMUv3 event" : "VT-d fault") + " type " + type);
        }
        String domain = attachments.get(attachKey(rid, pasid));
        List<Long> evt = smmu
                ? EventRecords.smmu(code, dev.sid() == null ? 0 : dev.sid(), pasid, true, false, false, "IN", addr, 0)
                : EventRecords.vtd(code, EventRecords.sourceId(rid), pasid, true, false, addr);
        return new HwEvent(i.id(), rid, dev.sid(), pasid, domain, type, code, addr, evt);
    }

    /** The host PA a DMA by {@code rid} at {@code addr} would use, or -1 on a fault: the translation path alone. */
    public long translateAddress(String rid, Integer pasid, long addr) {
        DeviceSpec dev = device(rid);
        String domainId = attachments.get(attachKey(rid, pasid));
        if (domainId == null) {
            return -1;
        }
        Leaf leaf = translate(dev, counters.get(dev.iommu()), domainId, pasid, addr, false, false).leaf();
        return leaf == null ? -1 : leaf.translate(addr);
    }

    /** A translation: a leaf, or a nested walk's fault, or neither (no mapping in a paging domain). */
    private record Xlate(Leaf leaf, WalkResult.Fault fault, long ipa) {
        Xlate(Leaf leaf, WalkResult.Fault fault) {
            this(leaf, fault, -1);
        }
    }

    /** The IPA a nested cache entry gives {@code addr}, -1 for a paging entry. */
    private static long ipaOf(CachedTranslation hit, long addr) {
        return hit.ipa() < 0 ? -1 : hit.ipa() + (addr - hit.leaf().iova());
    }

    /** ATC (ATS devices) → IOTLB → page walk; fills the caches on the way back. */
    private Xlate translate(DeviceSpec dev, Counters c, String domainId, Integer pasid, long addr, boolean write, boolean priv) {
        Nested n = nested.get(domainId);
        DomainTable table = domains.get(n == null ? domainId : n.parent());
        if (table == null) {
            return new Xlate(null, null); // a nest parent destroyed under its nested domain translates nothing
        }
        TranslationCache atc = atcs.get(dev.rid());
        if (atc != null) {
            CachedTranslation hit = atc.lookup(domainId, pasid, addr);
            if (hit != null) {
                c.atcHits++;
                return new Xlate(checked(c, dev, n, table, hit, addr, "ATC of " + dev.rid()), null, ipaOf(hit, addr));
            }
        }
        TranslationCache iotlb = iotlbs.get(dev.iommu());
        CachedTranslation hit = iotlb.lookup(domainId, pasid, addr);
        if (hit != null) {
            c.iotlbHits++;
            if (atc != null) {
                atc.fill(domainId, pasid, hit.leaf(), hit.unmaps(), hit.asid(), hit.ipa());
            }
            return new Xlate(checked(c, dev, n, table, hit, addr, "IOTLB of " + dev.iommu()), null, ipaOf(hit, addr));
        }
        c.iotlbMisses++;
        c.walks++;
        if (n == null) {
            Leaf leaf = table.walk(addr);
            if (leaf != null) {
                iotlb.fill(domainId, pasid, leaf, table.unmaps());
                if (atc != null) {
                    atc.fill(domainId, pasid, leaf, table.unmaps());
                }
            }
            return new Xlate(leaf, null);
        }
        WalkResult r = walkNested(n, table, dev, c, pasid, new Access(addr, write, priv));
        if (r instanceof WalkResult.Fault f) {
            return new Xlate(null, f);
        }
        WalkResult.Translated t = (WalkResult.Translated) r;
        Leaf leaf = combined(addr, t);
        int asid = t.asid() == null ? -1 : t.asid();
        long ipaBase = t.ipa() - (addr - leaf.iova());
        iotlb.fill(domainId, pasid, leaf, table.unmaps(), asid, ipaBase);
        if (atc != null) {
            atc.fill(domainId, pasid, leaf, table.unmaps(), asid, ipaBase);
        }
        return new Xlate(leaf, null, t.ipa());
    }

    /** The combined stage-1+stage-2 entry a nested walk yields (QEMU combine_tlb): the smaller page. */
    private static Leaf combined(long addr, WalkResult.Translated t) {
        long base = addr & -t.pageSize();
        return new Leaf(base, t.pageSize(), t.hostPa() - (addr - base), t.read(), t.write(), 0);
    }

    /**
     * The nested walk: the configuration (VT-d PASID entry / SMMUv3 STE+CD) from the IOMMU's
     * configuration cache when {@code c} is given (a DMA), else decoded afresh (the oracle).
     */
    private WalkResult walkNested(Nested n, DomainTable parent, DeviceSpec dev, Counters c, Integer pasid, Access access) {
        GuestMemory gm = new GuestMemory(memory, Stage2.of(parent));
        int width = iommu(n.iommu()).addressWidth();
        ConfigCache<CachedConfig> cache = c == null ? null : configs.get(n.iommu());
        CachedConfig cached = cache == null ? null : cache.lookup(dev.rid(), pasid);
        if (cached != null && !cached.domain().equals(n.id())) {
            cached = null; // decoded for a domain the device has left (cannot happen while ATTACH invalidates)
        }
        if (c != null) {
            if (cached == null) {
                c.configMisses++;
            } else {
                c.configHits++;
            }
        }
        if (n.vtd() != null) {
            VtdFirstLevelWalker.Config cfg;
            if (cached != null) {
                cfg = (VtdFirstLevelWalker.Config) cached.config();
            } else {
                NestedDomainCreate.VtdS1 v = n.vtd();
                cfg = new VtdFirstLevelWalker.Config(v.pgtblAddr(), v.addrWidth(), v.sre(), v.eafe(), v.wpe());
                if (cache != null) {
                    cache.fill(dev.rid(), pasid, new CachedConfig(n.id(), cfg));
                }
            }
            return new VtdFirstLevelWalker(gm, width).walk(cfg, access);
        }
        SmmuV3Stage1Walker walker = new SmmuV3Stage1Walker(gm, width);
        SmmuV3Stage1Walker.StreamConfig cfg;
        if (cached != null) {
            cfg = (SmmuV3Stage1Walker.StreamConfig) cached.config();
        } else {
            try {
                cfg = walker.resolve(new long[] {n.smmu().word0(), n.smmu().word1()}, pasid, access.address());
            } catch (WalkFault f) {
                return f.fault(); // a configuration error is not cached
            }
            if (cache != null) {
                cache.fill(dev.rid(), pasid, new CachedConfig(n.id(), cfg));
            }
        }
        return walker.translate(cfg, access);
    }

    /** The hardware uses a cached entry as it is; we count it when the real table no longer has it. */
    private Leaf checked(Counters c, DeviceSpec dev, Nested n, DomainTable table, CachedTranslation hit, long addr, String where) {
        if (hit.unmaps() == table.unmaps()) {
            return hit.leaf(); // nothing was unmapped since it was cached
        }
        boolean stale;
        if (n == null) {
            Leaf now = table.walk(addr);
            stale = now == null || now.generation() != hit.leaf().generation();
        } else {
            // the parent changed since the combined entry was cached: is its host PA still what a walk gives?
            WalkResult r = walkNested(n, table, dev, null, hit.pasid(), Access.read(addr));
            stale = !(r instanceof WalkResult.Translated t) || t.hostPa() != hit.leaf().translate(addr);
        }
        if (stale) {
            c.staleTranslations++;
            LOG.warnf("stale translation: %s served 0x%x of domain %s from a removed mapping", where, addr, hit.domain());
        }
        return hit.leaf();
    }

    /** The dirty pages of a domain's range, cleared unless {@code noClear}. */
    public java.util.List<Long> readDirty(String domainId, long iova, long length, boolean noClear) {
        return table(domainId).readDirty(iova, length, noClear);
    }

    public Map<String, Counters> counters() {
        return counters;
    }

    public Counters totals() {
        Counters t = new Counters();
        counters.values().forEach(c -> c.addTo(t));
        return t;
    }

    /** Entries in the configuration cache of {@code iommu}. */
    public int configCacheSize(String iommu) {
        return configs.get(iommu(iommu).id()).size();
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
        return domains.containsKey(id) || nested.containsKey(id);
    }

    /** The VMID hw-sim gave a vIOMMU, or -1. */
    public int vmid(String viommu) {
        Viommu v = viommus.get(viommu);
        return v == null ? -1 : v.vmid();
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
            for (Nested n : nested.values()) {
                md.update(("N " + n.id() + " " + n.iommu() + " " + n.parent() + " " + n.viommu() + " " + n.vtd() + " " + n.smmu()
                        + " " + faultIds.get(n.id()) + "\n").getBytes(StandardCharsets.UTF_8));
            }
            for (Viommu v : viommus.values()) {
                md.update(("V " + v.id() + " " + v.iommu() + " " + v.vmid() + "\n").getBytes(StandardCharsets.UTF_8));
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

    /** A paging domain (map, unmap, dirty tracking, nest parent). */
    private DomainTable table(String id) {
        DomainTable d = domains.get(id);
        if (d == null) {
            throw new IllegalArgumentException(nested.containsKey(id) ? id + " is a nested domain" : "no domain " + id);
        }
        return d;
    }

    private void requireDomain(String id) {
        if (!domains.containsKey(id) && !nested.containsKey(id)) {
            throw new IllegalArgumentException("no domain " + id);
        }
    }

    private IommuSpec iommu(String id) {
        return topology.iommu(id).orElseThrow(() -> new IllegalArgumentException("no IOMMU " + id));
    }

    private DeviceSpec device(String rid) {
        return topology.device(Objects.requireNonNull(rid, "rid")).orElseThrow(() -> new IllegalArgumentException("no device " + rid));
    }
}
