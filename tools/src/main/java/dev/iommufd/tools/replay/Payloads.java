package dev.iommufd.tools.replay;

import dev.iommufd.contract.events.AttachDevice;
import dev.iommufd.contract.events.ContextClosed;
import dev.iommufd.contract.events.DirtyReport;
import dev.iommufd.contract.events.DomainCreate;
import dev.iommufd.contract.events.DomainDestroy;
import dev.iommufd.contract.events.EventPayload;
import dev.iommufd.contract.events.FaultDetach;
import dev.iommufd.contract.events.HwEvent;
import dev.iommufd.contract.events.InvalidateAtc;
import dev.iommufd.contract.events.InvalidateBatch;
import dev.iommufd.contract.events.InvalidateIotlb;
import dev.iommufd.contract.events.MapRange;
import dev.iommufd.contract.events.NestedDomainCreate;
import dev.iommufd.contract.events.PageRequest;
import dev.iommufd.contract.events.PageResponse;
import dev.iommufd.contract.events.ReadDirty;
import dev.iommufd.contract.events.SetDirtyTracking;
import dev.iommufd.contract.events.UnmapRange;
import dev.iommufd.contract.events.ViommuAlloc;
import dev.iommufd.contract.events.ViommuFree;
import java.util.ArrayList;
import java.util.List;

/** What replay needs to know of each payload kind: the domains, device and address range it concerns. */
final class Payloads {
    private Payloads() {}

    /** An address range [start, start+length); length 0 = everything (domain- or device-wide). */
    record Range(long start, long length) {
        boolean overlaps(long from, long toExclusive) {
            if (length == 0) {
                return true;
            }
            long end = start + length;
            return Long.compareUnsigned(start, toExclusive) < 0 && Long.compareUnsigned(from, end) < 0;
        }
    }

    static List<String> domains(EventPayload p) {
        List<String> d = new ArrayList<>(2);
        if (p instanceof DomainCreate c) {
            d.add(c.domain());
        } else if (p instanceof DomainDestroy c) {
            d.add(c.domain());
        } else if (p instanceof MapRange c) {
            d.add(c.domain());
        } else if (p instanceof UnmapRange c) {
            d.add(c.domain());
        } else if (p instanceof AttachDevice c) {
            d.add(c.domain());
        } else if (p instanceof InvalidateIotlb c) {
            d.add(c.domain());
        } else if (p instanceof InvalidateBatch c) {
            c.invs().stream().map(InvalidateBatch.Inv::domain).filter(java.util.Objects::nonNull).distinct().forEach(d::add);
        } else if (p instanceof SetDirtyTracking c) {
            d.add(c.domain());
        } else if (p instanceof ReadDirty c) {
            d.add(c.domain());
        } else if (p instanceof DirtyReport c) {
            d.add(c.domain());
        } else if (p instanceof NestedDomainCreate c) {
            d.add(c.domain());
            d.add(c.parent());
        } else if (p instanceof ViommuAlloc c) {
            d.add(c.parent());
        } else if (p instanceof PageRequest c) {
            d.add(c.domain());
        } else if (p instanceof HwEvent c) {
            d.add(c.domain());
        }
        d.removeIf(java.util.Objects::isNull);
        return d;
    }

    /** The devices (RIDs) the payload concerns: one, or an INV_BATCH's device-TLB targets. */
    static List<String> rids(EventPayload p) {
        if (p instanceof InvalidateBatch b) {
            return b.invs().stream().map(InvalidateBatch.Inv::rid).filter(java.util.Objects::nonNull).distinct().toList();
        }
        String r = rid(p);
        return r == null ? List.of() : List.of(r);
    }

    /** The device (RID) the payload concerns, or null (an INV_BATCH: see {@link #rids}). */
    static String rid(EventPayload p) {
        if (p instanceof AttachDevice a) {
            return a.rid();
        } else if (p instanceof InvalidateAtc a) {
            return a.rid();
        } else if (p instanceof PageRequest a) {
            return a.rid();
        } else if (p instanceof PageResponse a) {
            return a.rid();
        } else if (p instanceof HwEvent a) {
            return a.rid();
        } else if (p instanceof FaultDetach a) {
            return a.rid();
        }
        return null;
    }

    /** The address ranges the payload concerns: one, an INV_BATCH's each, none for payloads without one. */
    static List<Range> ranges(EventPayload p) {
        if (p instanceof InvalidateBatch b) {
            return b.invs().stream().map(i -> new Range(i.iova(), i.length())).toList();
        }
        Range r = range(p);
        return r == null ? List.of() : List.of(r);
    }

    /** The address range the payload concerns, or null for payloads without one (an INV_BATCH: see {@link #ranges}). */
    static Range range(EventPayload p) {
        if (p instanceof MapRange m) {
            return new Range(m.iova(), m.length());
        } else if (p instanceof UnmapRange m) {
            return new Range(m.iova(), m.length());
        } else if (p instanceof InvalidateIotlb m) {
            return new Range(m.iova(), m.length());
        } else if (p instanceof InvalidateAtc m) {
            return new Range(m.iova(), m.length());
        } else if (p instanceof ReadDirty m) {
            return new Range(m.iova(), m.length());
        } else if (p instanceof PageRequest m) {
            return new Range(m.addr(), 4096);
        } else if (p instanceof HwEvent m) {
            return new Range(m.addr(), 1);
        }
        return null;
    }

    /** Contexts a payload names besides its envelope's (the context part of {@code <context>/<id>} names). */
    static List<String> contexts(EventPayload p) {
        List<String> c = new ArrayList<>();
        if (p instanceof ContextClosed cc) {
            c.add(cc.contextId());
        } else if (p instanceof FaultDetach f) {
            c.add(f.contextId());
        } else if (p instanceof ViommuAlloc v) {
            c.add(contextOf(v.viommu()));
        } else if (p instanceof ViommuFree v) {
            c.add(contextOf(v.viommu()));
        }
        for (String d : domains(p)) {
            c.add(contextOf(d));
        }
        return c;
    }

    static String contextOf(String qualifiedId) {
        int slash = qualifiedId.lastIndexOf('/');
        return slash < 0 ? qualifiedId : qualifiedId.substring(0, slash);
    }
}
