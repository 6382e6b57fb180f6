package io.sluice.broker.service;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Grants revoked while this broker runs, so that a stream under one stops before its next batch.
 * (New streams are refused by the revocation stored with the grant; this set is only for streams
 * already running in this broker.)
 */
public final class GrantRevocations {
    private final Set<String> revoked = ConcurrentHashMap.newKeySet();

    public void revoke(String grantId) {
        revoked.add(grantId);
    }

    public boolean isRevoked(String grantId) {
        return revoked.contains(grantId);
    }
}
