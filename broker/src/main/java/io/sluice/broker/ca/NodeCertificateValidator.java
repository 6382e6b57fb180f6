package io.sluice.broker.ca;

import static io.sluice.broker.ca.NodeCertificates.subject;
import static java.util.Objects.requireNonNull;

import io.sluice.broker.ca.NodeValidation.Reason;
import java.io.IOException;
import java.net.Socket;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.InvalidAlgorithmParameterException;
import java.security.cert.CertPath;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertPathValidatorException.BasicReason;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateParsingException;
import java.security.cert.PKIXParameters;
import java.security.cert.PKIXReason;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * Checks a node certificate presented in a TLS handshake against the data space's CA and reads
 * the node's identity from it. The check is the JDK's PKIX validation ({@link CertPathValidator},
 * revocation off: the data space has no CRL yet) at an explicit time, then the rules of a node
 * certificate: extended key usage {@code clientAuth}, exactly one node id and one region
 * ({@link NodeCertificates}).
 *
 * <p>Only the first (end-entity) certificate of a presented chain is validated, directly against
 * the CA: a Sluice CA has {@code pathLen 0}, so there are no intermediates, and a copy of the CA
 * the client sends along is ignored.
 *
 * <p>Immutable and thread-safe; {@link #validate} may be called from an event loop (it does no I/O).
 */
public final class NodeCertificateValidator {
    private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";

    private final List<X509Certificate> caCertificates;
    private final Set<TrustAnchor> anchors;

    /** Trusts node certificates issued by any of {@code caCertificates} (more than one while a CA is rotated). */
    public NodeCertificateValidator(List<X509Certificate> caCertificates) {
        this.caCertificates = List.copyOf(requireNonNull(caCertificates, "caCertificates is null"));
        if (this.caCertificates.isEmpty()) {
            throw new IllegalArgumentException("caCertificates must not be empty");
        }
        Set<TrustAnchor> trustAnchors = new LinkedHashSet<>();
        for (X509Certificate ca : this.caCertificates) {
            trustAnchors.add(new TrustAnchor(ca, null));
        }
        this.anchors = Set.copyOf(trustAnchors);
    }

    /** Trusts the CA certificates in a PEM file, e.g. the {@code ca.crt} of {@code sluice ca init}. */
    public static NodeCertificateValidator fromPem(Path caCertificates) throws IOException {
        return new NodeCertificateValidator(PemFiles.readCertificates(caCertificates));
    }

    /** The trusted CA certificates. */
    public List<X509Certificate> caCertificates() {
        return caCertificates;
    }

    /** Validates a presented chain now. */
    public NodeValidation validate(List<? extends Certificate> presented) {
        return validate(presented, Instant.now());
    }

    /**
     * Validates a presented chain (as {@code HttpConnection.peerCertificates()} returns it, end
     * entity first; empty when the client sent none) at time {@code at}.
     */
    public NodeValidation validate(List<? extends Certificate> presented, Instant at) {
        requireNonNull(at, "at is null");
        if (presented == null || presented.isEmpty()) {
            return new NodeValidation.Refused(Reason.NO_CERTIFICATE, "no client certificate presented");
        }
        if (!(presented.getFirst() instanceof X509Certificate leaf)) {
            return new NodeValidation.Refused(Reason.INVALID_CERTIFICATE,
                    "the client certificate is not an X.509 certificate but " + presented.getFirst().getType());
        }
        String subject = subject(leaf);
        try {
            CertPath path = CertificateFactory.getInstance("X.509").generateCertPath(List.of(leaf));
            PKIXParameters parameters = new PKIXParameters(anchors);
            parameters.setRevocationEnabled(false);
            parameters.setDate(Date.from(at));
            CertPathValidator.getInstance("PKIX").validate(path, parameters);
        } catch (CertPathValidatorException e) {
            return refusal(leaf, subject, e);
        } catch (InvalidAlgorithmParameterException | CertificateException e) {
            throw new IllegalStateException("cannot set up PKIX validation", e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK has no PKIX validator", e);
        }
        List<String> usages;
        try {
            usages = leaf.getExtendedKeyUsage();
        } catch (CertificateParsingException e) {
            return new NodeValidation.Refused(Reason.INVALID_CERTIFICATE,
                    "node certificate " + subject + " has an unreadable extended key usage: " + e.getMessage());
        }
        if (usages == null || !usages.contains(CLIENT_AUTH)) {
            return new NodeValidation.Refused(Reason.NOT_FOR_CLIENT_AUTH,
                    "node certificate " + subject + " is not for client authentication (its extended key usage lacks clientAuth)");
        }
        return NodeCertificates.inspect(leaf);
    }

    /**
     * A trust manager for the broker's TLS server that accepts <em>any</em> client certificate
     * in the handshake and leaves the decision to {@link #validate}, so that a refused node gets
     * an audited 403 with a reason instead of a bare handshake failure. It names this validator's
     * CAs in the handshake's certificate request, so clients pick the right certificate, and it
     * refuses to check server certificates.
     *
     * <p><b>Only</b> use it with {@code ClientAuth.REQUEST} (Vert.x {@code TrustOptions.wrap(...)})
     * on a server where every route that needs a node calls {@link #validate} on
     * {@code peerCertificates()}: on its own it authenticates nothing. With
     * {@code ClientAuth.REQUIRED} and {@code PemTrustOptions} instead, the handshake itself refuses
     * bad certificates, but the broker never learns why.
     */
    public X509TrustManager deferringClientTrustManager() {
        return new DeferringTrustManager(caCertificates.toArray(X509Certificate[]::new));
    }

    private NodeValidation refusal(X509Certificate leaf, String subject, CertPathValidatorException e) {
        if (e.getReason() == BasicReason.EXPIRED) {
            return new NodeValidation.Refused(Reason.EXPIRED,
                    "node certificate " + subject + " expired at " + leaf.getNotAfter().toInstant());
        }
        if (e.getReason() == BasicReason.NOT_YET_VALID) {
            return new NodeValidation.Refused(Reason.NOT_YET_VALID,
                    "node certificate " + subject + " is not valid before " + leaf.getNotBefore().toInstant());
        }
        if (e.getReason() == PKIXReason.NO_TRUST_ANCHOR || e.getReason() == BasicReason.INVALID_SIGNATURE) {
            String trusted = caCertificates.stream().map(NodeCertificates::subject).collect(Collectors.joining("; "));
            return new NodeValidation.Refused(Reason.UNKNOWN_CA,
                    "node certificate " + subject + " was not issued by this data space's CA (its issuer: "
                            + leaf.getIssuerX500Principal().getName() + "; trusted: " + trusted + ")");
        }
        return new NodeValidation.Refused(Reason.INVALID_CERTIFICATE,
                "node certificate " + subject + " is not valid: " + e.getMessage());
    }

    /** Accepts every client chain at handshake time; see {@link #deferringClientTrustManager()}. */
    private static final class DeferringTrustManager extends X509ExtendedTrustManager {
        private final X509Certificate[] issuers;

        DeferringTrustManager(X509Certificate[] issuers) {
            this.issuers = issuers;
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            if (chain == null || chain.length == 0) {
                throw new CertificateException("no client certificate presented");
            }
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            checkClientTrusted(chain, authType);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            checkClientTrusted(chain, authType);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("this trust manager checks node (client) certificates only");
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            checkServerTrusted(chain, authType);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            checkServerTrusted(chain, authType);
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return issuers.clone();
        }
    }
}
