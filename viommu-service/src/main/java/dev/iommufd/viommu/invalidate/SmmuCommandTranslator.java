package dev.iommufd.viommu.invalidate;

import com.fasterxml.jackson.databind.JsonNode;
import dev.iommufd.contract.api.Errno;
import dev.iommufd.contract.api.ErrnoException;
import dev.iommufd.contract.events.SmmuCommands.Cmd;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3: guest command-queue entries turned into physical ones as
 * the kernel's {@code arm_vsmmu_convert_user_cmd}. Accepted: TLBI_NSNH_ALL (becomes TLBI_NH_ALL),
 * TLBI_NH_VA/VAA/ALL/ASID (the VMID field is cleared: hw-sim puts the vIOMMU's VMID there, the ASID
 * stays the guest's), ATC_INV, CFGI_CD, CFGI_CD_ALL (the vSID in bits 63:32 becomes the physical
 * SID of the vdevice with that virtId; none → EIO). Every other opcode is EIO.
 */
public final class SmmuCommandTranslator {
    private SmmuCommandTranslator() {}

    public static final int CFGI_CD = 0x05;
    public static final int CFGI_CD_ALL = 0x06;
    public static final int TLBI_NH_ALL = 0x10;
    public static final int TLBI_NH_ASID = 0x11;
    public static final int TLBI_NH_VA = 0x12;
    public static final int TLBI_NH_VAA = 0x13;
    public static final int TLBI_NSNH_ALL = 0x30;
    public static final int ATC_INV = 0x40;

    static final long OP = 0xffL;
    static final long VMID = 0xffffL << 32;        // CMDQ_TLBI_0_VMID, bits 47:32
    static final long SID = 0xffffffffL << 32;     // CMDQ_CFGI_0_SID / CMDQ_ATC_0_SID, bits 63:32

    /** The physical SID of the vdevice whose virtId is {@code vsid} in this vIOMMU, or null. */
    public interface SidMap {
        Integer physical(long vsid);
    }

    public static Cmd translate(long w0, long w1, SidMap sids) {
        int op = (int) (w0 & OP);
        switch (op) {
            case TLBI_NSNH_ALL:
                return new Cmd(TLBI_NH_ALL, 0);
            case TLBI_NH_VA, TLBI_NH_VAA, TLBI_NH_ALL, TLBI_NH_ASID:
                return new Cmd(w0 & ~VMID, w1);
            case ATC_INV, CFGI_CD, CFGI_CD_ALL: {
                long vsid = w0 >>> 32;
                Integer sid = sids.physical(vsid);
                if (sid == null) {
                    throw ErrnoException.of(Errno.EIO, "no vdevice with vSID 0x%x", vsid);
                }
                return new Cmd((w0 & ~SID) | ((sid & 0xffffffffL) << 32), w1);
            }
            default:
                throw ErrnoException.of(Errno.EIO, "SMMUv3 opcode 0x%02x is not accepted from a guest", op);
        }
    }

    /** Entries {@code {"cmd":[w0, w1]}} in order, up to the first that cannot be translated. */
    public static Plan<Cmd> decode(JsonNode entries, SidMap sids) {
        List<Cmd> out = new ArrayList<>();
        for (JsonNode e : entries) {
            try {
                Entries.onlyFields(e, Set.of("cmd"));
                JsonNode cmd = e.get("cmd");
                if (cmd == null || !cmd.isArray() || cmd.size() != 2) {
                    throw ErrnoException.of(Errno.EINVAL, "'cmd' must hold two 64-bit words");
                }
                out.add(translate(Entries.value(cmd.get(0), "cmd[0]"), Entries.value(cmd.get(1), "cmd[1]"), sids));
            } catch (ErrnoException err) {
                return new Plan<>(out, err);
            }
        }
        return new Plan<>(out, null);
    }
}
