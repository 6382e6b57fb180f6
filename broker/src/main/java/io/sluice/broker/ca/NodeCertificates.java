package io.sluice.broker.ca;

import static java.util.Objects.requireNonNull;

import io.sluice.broker.ca.NodeValidation.Reason;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.ASN1String;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;

/**
 * How a node certificate carries the node's identity, and reading it back.
 *
 * <p>The encoding: the subject is {@code CN=<node id>}, and the subject alternative names hold
 * exactly two URIs, {@code urn:sluice:node:<node id>} and {@code urn:sluice:region:<region>}.
 * URIs in the SAN are standard X.509 (no private OID to register), every tool shows them
 * ({@code openssl x509 -noout -ext subjectAltName}), and the prefixes keep the two values apart.
 * Node ids and regions are 1 to 64 of {@code A-Z a-z 0-9 . _ -}, starting with a letter or digit,
 * so they need no escaping in a URN.
 *
 * <p>Reading is strict, so that the answer is unambiguous: exactly one node URI, exactly one
 * region URI, both well-formed, and the node URI must agree with the CN.
 *
 * <p>{@link #read} does not check who issued the certificate or when it is valid:
 * {@link NodeCertificateValidator} does that, then reads the identity with this class.
 */
public final class NodeCertificates {
    /** Prefix of the SAN URI that carries the node id. */
    public static final String NODE_URI_PREFIX = "urn:sluice:node:";
    /** Prefix of the SAN URI that carries the region. */
    public static final String REGION_URI_PREFIX = "urn:sluice:region:";

    private static final int SAN_URI = 6;

    private NodeCertificates() {
    }

    /** The node identity the certificate carries, or empty when it carries none or an ambiguous one. */
    public static Optional<NodeIdentity> read(X509Certificate certificate) {
        return inspect(certificate).identity();
    }

    /** Lower-case hex SHA-256 of the certificate's DER encoding: the {@link NodeIdentity#certificateId()}. */
    public static String certificateId(X509Certificate certificate) {
        requireNonNull(certificate, "certificate is null");
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded()));
        } catch (CertificateEncodingException e) {
            throw new IllegalArgumentException("certificate " + subject(certificate) + " cannot be encoded", e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    /** Reads the identity, or says why there is none ({@link Reason#MISSING_NODE_ID}, {@link Reason#MISSING_REGION}). */
    static NodeValidation inspect(X509Certificate certificate) {
        requireNonNull(certificate, "certificate is null");
        String subject = subject(certificate);
        List<String> uris;
        try {
            uris = sanUris(certificate);
        } catch (CertificateParsingException e) {
            return new NodeValidation.Refused(Reason.MISSING_NODE_ID,
                    "node certificate " + subject + " has an unreadable subject alternative name: " + e.getMessage());
        }
        List<String> nodeIds = withPrefix(uris, NODE_URI_PREFIX);
        List<String> regions = withPrefix(uris, REGION_URI_PREFIX);
        if (nodeIds.isEmpty()) {
            return new NodeValidation.Refused(Reason.MISSING_NODE_ID,
                    "node certificate " + subject + " carries no node id (a subject alternative name URI " + NODE_URI_PREFIX + "<id>)");
        }
        if (nodeIds.size() > 1) {
            return new NodeValidation.Refused(Reason.MISSING_NODE_ID,
                    "node certificate " + subject + " carries " + nodeIds.size() + " node ids " + nodeIds + "; exactly one is allowed");
        }
        String nodeId = nodeIds.getFirst();
        if (!NodeIdentity.NAME.matcher(nodeId).matches()) {
            return new NodeValidation.Refused(Reason.MISSING_NODE_ID,
                    "node certificate " + subject + " carries a malformed node id '" + nodeId + "'");
        }
        Optional<String> commonName = commonName(certificate.getSubjectX500Principal());
        if (commonName.isEmpty() || !commonName.get().equals(nodeId)) {
            return new NodeValidation.Refused(Reason.MISSING_NODE_ID,
                    "node certificate " + subject + " names node id '" + nodeId + "' but its CN is not that id");
        }
        if (regions.isEmpty()) {
            return new NodeValidation.Refused(Reason.MISSING_REGION,
                    "node certificate " + subject + " carries no region (a subject alternative name URI " + REGION_URI_PREFIX + "<region>)");
        }
        if (regions.size() > 1) {
            return new NodeValidation.Refused(Reason.MISSING_REGION,
                    "node certificate " + subject + " carries " + regions.size() + " regions " + regions + "; exactly one is allowed");
        }
        String region = regions.getFirst();
        if (!NodeIdentity.NAME.matcher(region).matches()) {
            return new NodeValidation.Refused(Reason.MISSING_REGION,
                    "node certificate " + subject + " carries a malformed region '" + region + "'");
        }
        return new NodeValidation.Accepted(new NodeIdentity(nodeId, region, certificateId(certificate)));
    }

    /** The subject as RFC 2253 text, e.g. {@code CN=gpu-07}: how messages name a certificate. */
    static String subject(X509Certificate certificate) {
        return certificate.getSubjectX500Principal().getName(X500Principal.RFC2253);
    }

    private static List<String> sanUris(X509Certificate certificate) throws CertificateParsingException {
        Collection<List<?>> names = certificate.getSubjectAlternativeNames();
        List<String> uris = new ArrayList<>();
        if (names != null) {
            for (List<?> name : names) {
                if (name.size() == 2 && name.get(0) instanceof Integer type && type == SAN_URI && name.get(1) instanceof String uri) {
                    uris.add(uri);
                }
            }
        }
        return uris;
    }

    private static List<String> withPrefix(List<String> uris, String prefix) {
        return uris.stream()
                .filter(uri -> uri.regionMatches(true, 0, prefix, 0, prefix.length()))
                .map(uri -> uri.substring(prefix.length()))
                .toList();
    }

    /** The single CN of a name, or empty when it has none or several. */
    static Optional<String> commonName(X500Principal principal) {
        RDN[] names = X500Name.getInstance(principal.getEncoded()).getRDNs(BCStyle.CN);
        if (names.length != 1 || names[0].isMultiValued() || !(names[0].getFirst().getValue() instanceof ASN1String value)) {
            return Optional.empty();
        }
        return Optional.of(value.getString());
    }
}
