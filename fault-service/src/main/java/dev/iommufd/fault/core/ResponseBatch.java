package dev.iommufd.fault.core;

import dev.iommufd.contract.api.Errno;
import dev.iommufd.contract.api.ErrnoException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * iommufd's fault write(): responses are applied in order; the first one with an unknown or
 * already answered cookie, or a code other than SUCCESS/INVALID, stops the call with EINVAL and
 * {@code accepted} = responses applied before it, which stay applied.
 */
public final class ResponseBatch {
    private ResponseBatch() {}

    public record Answer(int cookie, ResponseCode code) {}

    /** {@code error} is null when every response was accepted. */
    public record Outcome(List<Answer> accepted, ErrnoException error) {}

    /**
     * @param cookies  the cookies of the request, in order
     * @param codes    the codes of the request, same positions
     * @param awaiting cookies of groups that were read and not answered yet
     */
    public static Outcome decide(List<Long> cookies, List<String> codes, Set<Integer> awaiting) {
        Set<Integer> left = new HashSet<>(awaiting);
        List<Answer> accepted = new ArrayList<>();
        for (int i = 0; i < cookies.size(); i++) {
            long cookie = cookies.get(i);
            ResponseCode code = ResponseCode.parse(codes.get(i));
            String why = null;
            if (code == null) {
                why = "response " + i + ": code must be SUCCESS or INVALID, not " + codes.get(i);
            } else if (cookie < 1 || cookie > Integer.MAX_VALUE || !left.remove((int) cookie)) {
                why = "response " + i + ": no group awaits a response with cookie " + cookie;
            }
            if (why != null) {
                return new Outcome(List.copyOf(accepted), new ErrnoException(Errno.EINVAL, why, Map.of("accepted", accepted.size())));
            }
            accepted.add(new Answer((int) cookie, code));
        }
        return new Outcome(List.copyOf(accepted), null);
    }
}
