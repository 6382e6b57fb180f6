package io.sluice.broker.service;

import static java.util.Objects.requireNonNull;

import io.sluice.broker.BrokerErrorCode;
import io.sluice.broker.BrokerException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * A bound on the blocking source work one organisation has in flight at once: opening its sources
 * to register them (connecting, describing, computing the fingerprint, checking a CSV file). A
 * slow or hostile source holds a thread for as long as its timeouts allow; without this bound one
 * owner's registrations could take every thread the broker has for source work, and the others'
 * registrations would wait behind them.
 *
 * <p>Never waits: past the bound the work is refused at once with 429
 * {@link BrokerErrorCode#TOO_MANY_SOURCE_OPERATIONS}, so a flood of requests costs the broker no
 * thread. Threading: safe for any number of threads. An organisation with nothing in flight has no
 * entry, so the map holds only organisations at work.
 */
public final class SourceOperationLimit {
    private final int perOrganisation;
    private final ConcurrentMap<String, Integer> inFlight = new ConcurrentHashMap<>();

    /** @param perOrganisation how many source operations one organisation may have in flight, at least 1 */
    public SourceOperationLimit(int perOrganisation) {
        if (perOrganisation < 1) {
            throw new IllegalArgumentException("source operations per organisation must be >= 1, was " + perOrganisation);
        }
        this.perOrganisation = perOrganisation;
    }

    /** A place taken by one operation; {@link #close()} gives it back (once). */
    public interface Permit extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Takes a place for one operation of {@code organisation}.
     *
     * @throws BrokerException {@link BrokerErrorCode#TOO_MANY_SOURCE_OPERATIONS} when the organisation
     *     already has {@code perOrganisation} in flight
     */
    public Permit enter(String organisation) {
        requireNonNull(organisation, "organisation is null");
        boolean[] admitted = {false};
        inFlight.compute(organisation, (key, count) -> {
            int now = count == null ? 0 : count;
            if (now >= perOrganisation) {
                return count;
            }
            admitted[0] = true;
            return now + 1;
        });
        if (!admitted[0]) {
            throw new BrokerException(BrokerErrorCode.TOO_MANY_SOURCE_OPERATIONS, "organisation '" + organisation
                    + "' already has " + perOrganisation + " source operations in flight (registrations opening their"
                    + " sources), the most this broker allows; try again when one has ended");
        }
        return new Permit() {
            private boolean closed;

            @Override
            public synchronized void close() {
                if (!closed) {
                    closed = true;
                    inFlight.computeIfPresent(organisation, (key, count) -> count <= 1 ? null : count - 1);
                }
            }
        };
    }

    /** How many operations {@code organisation} has in flight now. */
    public int inFlight(String organisation) {
        return inFlight.getOrDefault(organisation, 0);
    }
}
