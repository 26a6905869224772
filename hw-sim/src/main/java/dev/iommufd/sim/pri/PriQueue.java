package dev.iommufd.sim.pri;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The PRI state of one PCIe function: its outstanding page-request groups and its outstanding
 * request budget (the "Outstanding Page Request Allocation" software granted, here the topology's
 * {@code priOutstanding}). Each request (page) of a group counts against the budget until the
 * group's response arrives; the budget is never exceeded. PRGIs are 9 bits and unique per function
 * among outstanding groups (PCIe), so a response matches on PRGI and PASID (a response with
 * another PASID does not complete the group, as Linux's iommu_page_response requires).
 * Responses for groups the function does not have outstanding are counted
 * ({@link #unknownResponses()}) and ignored (PCIe PRI status UPRGI).
 *
 * <p>Plain Java, not thread-safe: the platform lock guards it.
 */
public final class PriQueue {
    /** PRGI is a 9-bit field. */
    public static final int PRGI_COUNT = 512;

    /** Where a group is: waiting for its response, or why it ended. */
    public enum State { PENDING, SUCCESS, INVALID, DETACHED, ABANDONED }

    /** One page-request group: its requests' pages, and where it stands. */
    public static final class Group {
        private final Integer pasid;
        private final int grpid;
        private final String domain;
        private final int faultId;
        private final boolean injected;
        private final List<Long> pages = new ArrayList<>();
        private boolean last;
        private State state = State.PENDING;

        Group(Integer pasid, int grpid, String domain, int faultId, boolean injected) {
            this.pasid = pasid;
            this.grpid = grpid;
            this.domain = domain;
            this.faultId = faultId;
            this.injected = injected;
        }

        public Integer pasid() {
            return pasid;
        }

        public int grpid() {
            return grpid;
        }

        public String domain() {
            return domain;
        }

        public int faultId() {
            return faultId;
        }

        public boolean injected() {
            return injected;
        }

        public List<Long> pages() {
            return List.copyOf(pages);
        }

        public boolean last() {
            return last;
        }

        public State state() {
            return state;
        }

        public boolean pending() {
            return state == State.PENDING;
        }
    }

    /** A request the function may not send (budget, PRGI in use); nothing changed. */
    public static final class PriRefusedException extends RuntimeException {
        public PriRefusedException(String message) {
            super(message);
        }
    }

    private final int budget;
    private final Map<Integer, Group> outstanding = new LinkedHashMap<>();
    private int requests;
    private int nextPrgi;
    private long unknownResponses;

    public PriQueue(int budget) {
        if (budget < 1) {
            throw new IllegalArgumentException("PRI budget must be >= 1");
        }
        this.budget = budget;
    }

    /** Whether one more request fits the budget (and a PRGI is free for a new group). */
    public boolean hasRoom() {
        return requests < budget && outstanding.size() < PRGI_COUNT;
    }

    /**
     * A DMA's translation miss: a new one-page group (last = true) with the next free PRGI.
     *
     * @throws PriRefusedException when the budget is used up (callers check {@link #hasRoom()})
     */
    public Group open(String domain, int faultId, Integer pasid, long page) {
        if (!hasRoom()) {
            throw new PriRefusedException("PRI outstanding budget of " + budget + " requests used up");
        }
        while (outstanding.containsKey(nextPrgi)) {
            nextPrgi = (nextPrgi + 1) % PRGI_COUNT;
        }
        Group g = new Group(pasid, nextPrgi, domain, faultId, false);
        nextPrgi = (nextPrgi + 1) % PRGI_COUNT;
        add(g, page, true);
        return g;
    }

    /**
     * An injected request (the selftest's trigger): starts group {@code grpid} or adds a page to an
     * injected group still open (no {@code last} yet) with the same PASID.
     *
     * @throws PriRefusedException over budget, or when the PRGI belongs to another outstanding group
     */
    public Group inject(String domain, int faultId, Integer pasid, int grpid, long page, boolean last) {
        if (grpid < 0 || grpid >= PRGI_COUNT) {
            throw new IllegalArgumentException("grpid must be 0.." + (PRGI_COUNT - 1));
        }
        if (requests >= budget) {
            throw new PriRefusedException("PRI outstanding budget of " + budget + " requests used up");
        }
        Group g = outstanding.get(grpid);
        if (g == null) {
            g = new Group(pasid, grpid, domain, faultId, true);
        } else if (!g.injected || g.last || !Objects.equals(g.pasid, pasid) || !g.domain.equals(domain)) {
            throw new PriRefusedException("PRGI " + grpid + " is already outstanding");
        }
        add(g, page, last);
        return g;
    }

    private void add(Group g, long page, boolean last) {
        g.pages.add(page);
        g.last = last;
        outstanding.put(g.grpid, g);
        requests++;
    }

    /**
     * The response to group {@code grpid}: the group ends (SUCCESS or INVALID) and frees its
     * requests. Returns the group, or null when none with that PRGI and PASID is outstanding
     * (counted in {@link #unknownResponses()}, nothing else changes).
     */
    public Group respond(Integer pasid, int grpid, boolean success) {
        Group g = outstanding.get(grpid);
        if (g == null || !Objects.equals(g.pasid, pasid)) {
            unknownResponses++;
            return null;
        }
        end(g, success ? State.SUCCESS : State.INVALID);
        return g;
    }

    /**
     * The RID ({@code pasid} null) or RID+PASID no longer translates through {@code domain}: its
     * groups of that domain end (DETACHED); a later response to them counts as unknown.
     */
    public List<Group> detach(String domain, Integer pasid) {
        List<Group> ended = new ArrayList<>();
        for (Iterator<Group> it = outstanding.values().iterator(); it.hasNext(); ) {
            Group g = it.next();
            if (g.domain.equals(domain) && Objects.equals(g.pasid, pasid)) {
                it.remove();
                requests -= g.pages.size();
                g.state = State.DETACHED;
                ended.add(g);
            }
        }
        return ended;
    }

    /** The DMA waiting for {@code g} gave up (timeout): the group is forgotten, as the device forgets it. */
    public void abandon(Group g) {
        if (g.pending() && outstanding.get(g.grpid) == g) {
            end(g, State.ABANDONED);
        }
    }

    private void end(Group g, State state) {
        outstanding.remove(g.grpid);
        requests -= g.pages.size();
        g.state = state;
    }

    public int budget() {
        return budget;
    }

    /** Requests (pages) sent whose group has no response yet. */
    public int outstandingRequests() {
        return requests;
    }

    public int outstandingGroups() {
        return outstanding.size();
    }

    public long unknownResponses() {
        return unknownResponses;
    }
}
