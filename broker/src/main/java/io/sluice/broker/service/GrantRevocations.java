package io.sluice.broker.service;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Grants revoked while this broker runs, and why, so that a stream under one stops before its next
 * batch. (New streams are refused by the revocation stored with the grant; this map is only for
 * streams already running in this broker.) Thread-safe.
 */
public final class GrantRevocations {
    private final Map<String, String> revoked = new ConcurrentHashMap<>();

    /** @param why how it was revoked, completing "the grant was revoked ...": "by a change of the dataset's policy" */
    public void revoke(String grantId, String why) {
        revoked.putIfAbsent(grantId, why);
    }

    public boolean isRevoked(String grantId) {
        return revoked.containsKey(grantId);
    }

    /** How the grant was revoked, if this broker knows it was. */
    public Optional<String> why(String grantId) {
        return Optional.ofNullable(revoked.get(grantId));
    }
}
