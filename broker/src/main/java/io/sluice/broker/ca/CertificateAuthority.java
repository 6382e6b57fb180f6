package io.sluice.broker.ca;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.IPAddress;

/**
 * The data space's own certificate authority: a self-signed CA certificate and its key, which
 * issue client certificates to training nodes (carrying node id and region, see
 * {@link NodeCertificates}) and a server certificate to the broker.
 *
 * <h2>On disk</h2>
 * {@code DIR/ca.crt} (PEM certificate) and {@code DIR/ca.key} (unencrypted PKCS#8 PEM,
 * {@code rw-------}). The CA key is protected by file permissions only: keep {@code DIR} on the
 * machine that issues certificates, not on the broker (which needs {@code ca.crt} only).
 *
 * <h2>Certificates</h2>
 * <ul>
 *   <li>CA: {@code CN=<name>}; BasicConstraints CA, pathLen 0 (critical); KeyUsage keyCertSign,
 *       cRLSign (critical); SubjectKeyIdentifier.</li>
 *   <li>Node: {@code CN=<node id>}; SAN URIs {@code urn:sluice:node:<id>} and
 *       {@code urn:sluice:region:<region>}; ExtendedKeyUsage clientAuth.</li>
 *   <li>Server: {@code CN=<first host>}; SAN IP addresses and DNS names; ExtendedKeyUsage serverAuth.</li>
 *   <li>Every end-entity certificate: BasicConstraints not a CA (critical); KeyUsage
 *       digitalSignature (critical); Subject and Authority KeyIdentifier; a random 128-bit serial;
 *       valid from 5 minutes before issue (clock skew), and never past the CA's own end.</li>
 * </ul>
 *
 * <h2>Why ECDSA P-256 is the default</h2>
 * Both algorithms were tried end to end ({@code CertificateAuthorityTlsIT}): broker on Vert.x,
 * client on {@code java.net.http}, TLS 1.3 with client certificates.
 * <ul>
 *   <li>P-256 works everywhere: Vert.x reads the PKCS#8 EC key from PEM, every JDK TLS version,
 *       OpenSSL/BoringSSL clients (pyarrow, curl) and browsers accept it.</li>
 *   <li>Ed25519 certificates work between two JDKs in TLS 1.3 (SunJSSE signs and verifies
 *       {@code ed25519}), but Vert.x's {@code PemKeyCertOptions} cannot load an Ed25519 private
 *       key (its PEM reader knows RSA and EC keys only), so the broker would have to load its key
 *       from the {@code .p12} instead ({@code PfxOptions}); TLS 1.2 peers and browsers refuse
 *       Ed25519 server certificates.</li>
 * </ul>
 * Ed25519 stays available ({@code --algorithm ed25519}) for JDK-only deployments. One CA uses one
 * algorithm for itself and every key it issues.
 *
 * <p>Immutable and thread-safe. Holds the CA's private key: never log it.
 */
public final class CertificateAuthority {
    /** The CA certificate's file name in the CA directory. */
    public static final String CERTIFICATE_FILE = "ca.crt";
    /** The CA private key's file name in the CA directory. */
    public static final String KEY_FILE = "ca.key";
    public static final String DEFAULT_NAME = "Sluice data space CA";
    public static final CaAlgorithm DEFAULT_ALGORITHM = CaAlgorithm.P256;
    public static final Duration DEFAULT_CA_VALIDITY = Duration.ofDays(3650);
    public static final Duration DEFAULT_CERTIFICATE_VALIDITY = Duration.ofDays(365);
    /** How far before "now" a new certificate's validity starts, so peers with a slow clock accept it. */
    static final Duration BACKDATE = Duration.ofMinutes(5);

    private static final Pattern DNS_NAME = Pattern.compile(
            "(\\*\\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*");
    private static final int MAX_COMMON_NAME = 64;

    private final X509Certificate certificate;
    private final PrivateKey privateKey;
    private final CaAlgorithm algorithm;
    private final SecureRandom random = new SecureRandom();

    private CertificateAuthority(X509Certificate certificate, PrivateKey privateKey) {
        this.certificate = requireNonNull(certificate, "certificate is null");
        this.privateKey = requireNonNull(privateKey, "privateKey is null");
        this.algorithm = CaAlgorithm.of(certificate.getPublicKey());
        if (certificate.getBasicConstraints() < 0) {
            throw new IllegalArgumentException("certificate " + certificate.getSubjectX500Principal().getName() + " is not a CA certificate");
        }
        checkKeyPair(privateKey, certificate.getPublicKey(), algorithm);
    }

    /** A new CA in memory, valid from now (less {@link #BACKDATE}) for {@code validity}. */
    public static CertificateAuthority create(String name, CaAlgorithm algorithm, Duration validity) {
        Instant now = Instant.now();
        return create(name, algorithm, now.minus(BACKDATE), now.plus(checkValidity(validity)));
    }

    /** A new CA in memory with explicit validity (tests: an expired or not yet valid CA). */
    static CertificateAuthority create(String name, CaAlgorithm algorithm, Instant notBefore, Instant notAfter) {
        requireNonNull(name, "name is null");
        requireNonNull(algorithm, "algorithm is null");
        if (name.isBlank() || name.length() > MAX_COMMON_NAME) {
            throw new IllegalArgumentException("CA name must be 1 to " + MAX_COMMON_NAME + " characters, was '" + name + "'");
        }
        SecureRandom random = new SecureRandom();
        KeyPair keys = algorithm.generateKeyPair(random);
        X500Name subject = commonName(name);
        try {
            JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject, serial(random),
                    date(notBefore), date(notAfter), subject, keys.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                    .addExtension(Extension.subjectKeyIdentifier, false, extensions.createSubjectKeyIdentifier(keys.getPublic()));
            return new CertificateAuthority(sign(builder, keys.getPrivate(), algorithm), keys.getPrivate());
        } catch (GeneralSecurityException | CertIOException e) {
            throw new IllegalStateException("cannot create the CA certificate", e);
        }
    }

    /**
     * Creates a CA and writes it to {@code dir} ({@value #CERTIFICATE_FILE}, {@value #KEY_FILE}),
     * creating the directory if needed. Refuses with {@link FileAlreadyExistsException} when
     * {@code dir} already holds either file; nothing is then written.
     */
    public static CertificateAuthority init(Path dir, String name, CaAlgorithm algorithm, Duration validity) throws IOException {
        checkNoCa(dir);
        CertificateAuthority ca = create(name, algorithm, validity);
        ca.writeTo(dir);
        return ca;
    }

    /**
     * Loads the CA in {@code dir}. Fails with {@link NoSuchFileException} when there is none,
     * and with an {@link IOException} naming the file when the files are unreadable, are not a
     * CA, or the key does not belong to the certificate.
     */
    public static CertificateAuthority load(Path dir) throws IOException {
        requireNonNull(dir, "dir is null");
        Path certificateFile = dir.resolve(CERTIFICATE_FILE);
        Path keyFile = dir.resolve(KEY_FILE);
        for (Path file : List.of(certificateFile, keyFile)) {
            if (!Files.exists(file)) {
                throw new NoSuchFileException(file.toString(), null,
                        "no CA in " + dir + " (" + file.getFileName() + " is missing); create one with `sluice ca init --dir " + dir + "`");
            }
        }
        X509Certificate certificate = PemFiles.readCertificate(certificateFile);
        PrivateKey key = PemFiles.readPrivateKey(keyFile);
        try {
            return new CertificateAuthority(certificate, key);
        } catch (IllegalArgumentException e) {
            throw new IOException(dir + ": " + e.getMessage(), e);
        }
    }

    /** Writes {@value #CERTIFICATE_FILE} and {@value #KEY_FILE} ({@code rw-------}) to {@code dir}; never overwrites. */
    public void writeTo(Path dir) throws IOException {
        checkNoCa(dir);
        Files.createDirectories(dir);
        Path keyFile = dir.resolve(KEY_FILE);
        PemFiles.writePrivateKey(keyFile, privateKey);
        try {
            PemFiles.writeCertificates(dir.resolve(CERTIFICATE_FILE), List.of(certificate));
        } catch (IOException | RuntimeException e) {
            try {
                Files.deleteIfExists(keyFile);
            } catch (IOException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
    }

    /** The CA certificate: what brokers and clients trust. */
    public X509Certificate certificate() {
        return certificate;
    }

    public CaAlgorithm algorithm() {
        return algorithm;
    }

    /** A node's client certificate, valid from now (less {@link #BACKDATE}) for {@code validity}. */
    public IssuedCertificate issueNode(String nodeId, String region, Duration validity) {
        Instant now = Instant.now();
        return issueNode(nodeId, region, now.minus(BACKDATE), now.plus(checkValidity(validity)));
    }

    /** A node's client certificate with explicit validity (tests: expired, not yet valid). */
    IssuedCertificate issueNode(String nodeId, String region, Instant notBefore, Instant notAfter) {
        NodeIdentity.checkName("node id", requireNonNull(nodeId, "nodeId is null"));
        NodeIdentity.checkName("region", requireNonNull(region, "region is null"));
        List<GeneralName> names = List.of(
                new GeneralName(GeneralName.uniformResourceIdentifier, NodeCertificates.NODE_URI_PREFIX + nodeId),
                new GeneralName(GeneralName.uniformResourceIdentifier, NodeCertificates.REGION_URI_PREFIX + region));
        return issue(commonName(nodeId), names, KeyPurposeId.id_kp_clientAuth, notBefore, notAfter);
    }

    /**
     * The broker's server certificate for {@code hosts}: IP addresses (v4 or v6) and DNS names,
     * each a subject alternative name; the first is also the CN.
     */
    public IssuedCertificate issueServer(List<String> hosts, Duration validity) {
        Instant now = Instant.now();
        return issueServer(hosts, now.minus(BACKDATE), now.plus(checkValidity(validity)));
    }

    IssuedCertificate issueServer(List<String> hosts, Instant notBefore, Instant notAfter) {
        requireNonNull(hosts, "hosts is null");
        if (hosts.isEmpty()) {
            throw new IllegalArgumentException("at least one host is required");
        }
        List<GeneralName> names = new ArrayList<>();
        for (String host : new LinkedHashSet<>(hosts)) {
            requireNonNull(host, "host is null");
            if (IPAddress.isValid(host)) {
                names.add(new GeneralName(GeneralName.iPAddress, host));
            } else if (DNS_NAME.matcher(host).matches() && host.length() <= 253) {
                names.add(new GeneralName(GeneralName.dNSName, host));
            } else {
                throw new IllegalArgumentException("host must be an IP address or a DNS name, was '" + host + "'");
            }
        }
        return issue(commonName(hosts.getFirst()), names, KeyPurposeId.id_kp_serverAuth, notBefore, notAfter);
    }

    /**
     * Issues an end-entity certificate with a fresh key pair. The validity ends no later than the
     * CA's. Package-visible so tests can issue certificates that break one rule at a time.
     */
    IssuedCertificate issue(X500Name subject, List<GeneralName> alternativeNames, KeyPurposeId usage,
            Instant notBefore, Instant notAfter) {
        Instant caEnd = certificate.getNotAfter().toInstant();
        Instant end = notAfter.isAfter(caEnd) ? caEnd : notAfter;
        if (!end.isAfter(notBefore)) {
            throw new IllegalArgumentException("validity must end after it starts (" + notBefore + " .. " + end
                    + "; the CA is valid until " + caEnd + ")");
        }
        KeyPair keys = algorithm.generateKeyPair(random);
        try {
            JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
                    X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded()), serial(random),
                    date(notBefore), date(end), subject, keys.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
                    .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(usage))
                    .addExtension(Extension.subjectKeyIdentifier, false, extensions.createSubjectKeyIdentifier(keys.getPublic()))
                    .addExtension(Extension.authorityKeyIdentifier, false,
                            extensions.createAuthorityKeyIdentifier(certificate.getPublicKey()));
            if (!alternativeNames.isEmpty()) {
                builder.addExtension(Extension.subjectAlternativeName, false,
                        new GeneralNames(alternativeNames.toArray(GeneralName[]::new)));
            }
            return new IssuedCertificate(sign(builder, privateKey, algorithm), keys.getPrivate(), certificate);
        } catch (GeneralSecurityException | CertIOException e) {
            throw new IllegalStateException("cannot issue a certificate for " + subject, e);
        }
    }

    static X500Name commonName(String name) {
        return new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, name).build();
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey key, CaAlgorithm algorithm)
            throws GeneralSecurityException {
        try {
            return new JcaX509CertificateConverter().getCertificate(
                    builder.build(new JcaContentSignerBuilder(algorithm.signatureAlgorithm()).build(key)));
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException("cannot sign with " + algorithm.signatureAlgorithm(), e);
        }
    }

    private static void checkNoCa(Path dir) throws FileAlreadyExistsException {
        requireNonNull(dir, "dir is null");
        for (String name : List.of(CERTIFICATE_FILE, KEY_FILE)) {
            Path file = dir.resolve(name);
            if (Files.exists(file)) {
                throw new FileAlreadyExistsException(file.toString(), null,
                        "a CA already exists in " + dir + " (" + name + "); refusing to overwrite it");
            }
        }
    }

    private static void checkKeyPair(PrivateKey privateKey, PublicKey publicKey, CaAlgorithm algorithm) {
        byte[] challenge = "sluice ca key check".getBytes(StandardCharsets.US_ASCII);
        try {
            Signature signer = Signature.getInstance(algorithm.signatureAlgorithm());
            signer.initSign(privateKey);
            signer.update(challenge);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm.signatureAlgorithm());
            verifier.initVerify(publicKey);
            verifier.update(challenge);
            if (verifier.verify(signature)) {
                return;
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("the CA key does not belong to the CA certificate (" + e.getMessage() + ")", e);
        }
        throw new IllegalArgumentException("the CA key does not belong to the CA certificate");
    }

    private static Duration checkValidity(Duration validity) {
        requireNonNull(validity, "validity is null");
        if (validity.isNegative() || validity.isZero()) {
            throw new IllegalArgumentException("validity must be positive, was " + validity);
        }
        return validity;
    }

    private static BigInteger serial(SecureRandom random) {
        return new BigInteger(128, random).add(BigInteger.ONE);
    }

    private static Date date(Instant instant) {
        return Date.from(instant.truncatedTo(ChronoUnit.SECONDS));
    }
}
