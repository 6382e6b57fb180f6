package io.sluice.broker.ca;

import static java.util.Objects.requireNonNull;

import java.util.regex.Pattern;

/**
 * Who a training node is, as its certificate says: the policy inputs {@code nodeId} and
 * {@code nodeRegion}, and the certificate that said so.
 *
 * @param nodeId        the node id, e.g. {@code gpu-07}
 * @param region        the node's region, e.g. {@code eu-central}
 * @param certificateId lower-case hex SHA-256 of the certificate's DER encoding (64 characters),
 *                      the value {@code openssl x509 -noout -fingerprint -sha256} prints, without colons
 */
public record NodeIdentity(String nodeId, String region, String certificateId) {
    /** What a node id and a region may look like: a letter or digit, then letters, digits, {@code . _ -}; at most 64. */
    static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");

    public NodeIdentity {
        requireNonNull(nodeId, "nodeId is null");
        requireNonNull(region, "region is null");
        requireNonNull(certificateId, "certificateId is null");
        checkName("nodeId", nodeId);
        checkName("region", region);
        if (!SHA256_HEX.matcher(certificateId).matches()) {
            throw new IllegalArgumentException("certificateId must be 64 lower-case hex digits, was " + certificateId);
        }
    }

    static String checkName(String what, String value) {
        if (!NAME.matcher(value).matches()) {
            throw new IllegalArgumentException(what + " must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter"
                    + " or digit, was '" + value + "'");
        }
        return value;
    }
}
