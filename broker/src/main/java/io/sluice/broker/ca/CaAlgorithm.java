package io.sluice.broker.ca;

import static java.util.Objects.requireNonNull;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.interfaces.ECKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.NamedParameterSpec;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The key algorithm of a data space's CA and of every certificate it issues. One CA uses one
 * algorithm throughout: its own key, the nodes' keys and the broker's key.
 *
 * <p>{@link #P256} is the default; see {@link CertificateAuthority} for why.
 */
public enum CaAlgorithm {
    /** ECDSA on NIST P-256 (secp256r1), signatures with SHA-256. Works with every TLS stack. */
    P256("p256", "EC", "SHA256withECDSA"),
    /**
     * Ed25519 (RFC 8410). The JDK's TLS 1.3 accepts it, but Vert.x's PEM key reader does not (it
     * knows RSA and EC keys only) and browsers do not accept Ed25519 server certificates.
     */
    ED25519("ed25519", "Ed25519", "Ed25519");

    private final String cliName;
    private final String keyAlgorithm;
    private final String signatureAlgorithm;

    CaAlgorithm(String cliName, String keyAlgorithm, String signatureAlgorithm) {
        this.cliName = cliName;
        this.keyAlgorithm = keyAlgorithm;
        this.signatureAlgorithm = signatureAlgorithm;
    }

    /** The name used on the command line: {@code p256} or {@code ed25519}. */
    public String cliName() {
        return cliName;
    }

    /** The JCA signature algorithm certificates are signed with, e.g. {@code SHA256withECDSA}. */
    public String signatureAlgorithm() {
        return signatureAlgorithm;
    }

    /** Parses a command-line name, case-insensitively. */
    public static CaAlgorithm fromName(String name) {
        requireNonNull(name, "name is null");
        for (CaAlgorithm algorithm : values()) {
            if (algorithm.cliName.equals(name.toLowerCase(Locale.ROOT))) {
                return algorithm;
            }
        }
        throw new IllegalArgumentException("algorithm must be one of " + names() + ", was " + name);
    }

    /** The algorithm of an existing key, e.g. a loaded CA certificate's. */
    static CaAlgorithm of(PublicKey key) {
        requireNonNull(key, "key is null");
        if (key instanceof ECKey ec && ec.getParams().getCurve().getField().getFieldSize() == 256) {
            return P256;
        }
        if (key.getAlgorithm().equalsIgnoreCase("Ed25519") || key.getAlgorithm().equalsIgnoreCase("EdDSA")) {
            return ED25519;
        }
        throw new IllegalArgumentException("CA key algorithm must be one of " + names() + ", was " + key.getAlgorithm());
    }

    KeyPair generateKeyPair(SecureRandom random) {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance(keyAlgorithm);
            if (this == P256) {
                generator.initialize(new ECGenParameterSpec("secp256r1"), random);
            } else {
                generator.initialize(NamedParameterSpec.ED25519, random);
            }
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK cannot generate " + cliName + " keys", e);
        }
    }

    private static String names() {
        return Arrays.stream(values()).map(CaAlgorithm::cliName).collect(Collectors.joining(", "));
    }
}
