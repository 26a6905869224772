package dev.iommufd.sim.walk;

import dev.iommufd.sim.pagetable.DomainTable;
import dev.iommufd.sim.pagetable.Leaf;

/**
 * The stage-2 (nest parent) translation of guest-physical addresses (VT-d GPA, SMMUv3 IPA) to host
 * physical addresses. Permission checks are done by {@link GuestMemory}.
 */
public interface Stage2 {

    /** The stage-2 leaf covering {@code ipa}, or null when nothing maps it. */
    Mapping lookup(long ipa);

    /** Input address bits of the stage 2: an IPA at or above 2^inputBits is an address-size error. */
    default int inputBits() {
        return 64;
    }

    /** One stage-2 leaf: {@code [ipaBase, ipaBase+size)} → {@code [pa, pa+size)}. */
    record Mapping(long ipaBase, long size, long pa, boolean read, boolean write) {
        public long translate(long ipa) {
            return pa + (ipa - ipaBase);
        }
    }

    /** GPA = host PA, read/write, in 1 GiB leaves (so a stage-1 leaf size is never reduced). */
    static Stage2 identity() {
        return ipa -> new Mapping(ipa & -DomainTable.SZ_1G, DomainTable.SZ_1G, ipa & -DomainTable.SZ_1G, true, true);
    }

    /** Adapter over the NEST_PARENT paging domain built from MAP events. */
    static Stage2 of(DomainTable parent) {
        return new Stage2() {
            @Override
            public Mapping lookup(long ipa) {
                Leaf leaf = parent.walk(ipa);
                return leaf == null ? null : new Mapping(leaf.iova(), leaf.size(), leaf.pa(), leaf.read(), leaf.write());
            }

            @Override
            public int inputBits() {
                return parent.addressWidth();
            }
        };
    }
}
