package io.sluice.broker.ca;

import static java.util.Objects.requireNonNull;

import java.util.Optional;

/**
 * The outcome of checking a presented node certificate: accepted with the node's identity, or
 * refused with a coded reason and a message that names the certificate and the broken rule.
 * A refusal is a value, not an exception: the broker audits it and answers 403.
 */
public sealed interface NodeValidation {

    /** Why a node certificate was refused. Serialised by {@link #name()}; names never change meaning. */
    enum Reason {
        /** The client presented no certificate. */
        NO_CERTIFICATE,
        /** The certificate was not issued (or not validly signed) by this data space's CA. */
        UNKNOWN_CA,
        /** The certificate's validity ended before the time of the check. */
        EXPIRED,
        /** The certificate's validity starts after the time of the check. */
        NOT_YET_VALID,
        /** The certificate's extended key usage does not include TLS client authentication. */
        NOT_FOR_CLIENT_AUTH,
        /** The certificate carries no node id, or more than one, or one that disagrees with its CN. */
        MISSING_NODE_ID,
        /** The certificate carries no region, or more than one. */
        MISSING_REGION,
        /** Any other reason the JDK's PKIX validation rejects the certificate. */
        INVALID_CERTIFICATE
    }

    /** The node's identity when accepted. */
    Optional<NodeIdentity> identity();

    default boolean accepted() {
        return this instanceof Accepted;
    }

    /** The certificate is valid and names a node. */
    record Accepted(NodeIdentity node) implements NodeValidation {
        public Accepted {
            requireNonNull(node, "node is null");
        }

        @Override
        public Optional<NodeIdentity> identity() {
            return Optional.of(node);
        }
    }

    /** The certificate is refused; {@code message} is meant for the caller and the audit log. */
    record Refused(Reason reason, String message) implements NodeValidation {
        public Refused {
            requireNonNull(reason, "reason is null");
            requireNonNull(message, "message is null");
        }

        @Override
        public Optional<NodeIdentity> identity() {
            return Optional.empty();
        }
    }
}
