package io.sluice.policy;

import static java.util.Objects.requireNonNull;

import java.util.Optional;

/**
 * The attributes of the training node's client certificate that constraints may test
 * ({@code nodeId}, {@code nodeRegion}).
 *
 * @param nodeId the node id the certificate names; never blank
 * @param region the region the certificate names, when it names one
 */
public record NodeIdentity(String nodeId, Optional<String> region) {
    public NodeIdentity {
        requireNonNull(nodeId, "nodeId is null");
        if (nodeId.isBlank()) {
            throw new IllegalArgumentException("a node id must not be blank");
        }
        requireNonNull(region, "region is null");
    }

    public static NodeIdentity of(String nodeId, String region) {
        return new NodeIdentity(nodeId, Optional.of(region));
    }
}
