package io.sluice.broker.ca;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.util.List;

/**
 * Where an issued certificate was written: {@code <prefix>.crt} (the certificate, PEM),
 * {@code <prefix>.key} (its private key, unencrypted PKCS#8 PEM, {@code rw-------}) and
 * {@code <prefix>.p12} (a password-protected PKCS#12 key store, {@code rw-------}, holding the
 * key with the chain certificate + CA, and the CA as a trusted certificate).
 *
 * <p>The broker serves TLS from {@code certificate} and {@code privateKey} (Vert.x
 * {@code PemKeyCertOptions}); Java clients such as the gpu-loader use {@code keyStore} as both
 * their key store and their trust store.
 */
public record CertificateFiles(Path certificate, Path privateKey, Path keyStore) {
    public CertificateFiles {
        requireNonNull(certificate, "certificate is null");
        requireNonNull(privateKey, "privateKey is null");
        requireNonNull(keyStore, "keyStore is null");
    }

    /** The files for a prefix: {@code gpu-07} gives {@code gpu-07.crt}, {@code gpu-07.key}, {@code gpu-07.p12}. */
    public static CertificateFiles forPrefix(Path prefix) {
        requireNonNull(prefix, "prefix is null");
        return new CertificateFiles(sibling(prefix, ".crt"), sibling(prefix, ".key"), sibling(prefix, ".p12"));
    }

    /** The three paths, certificate first. */
    public List<Path> all() {
        return List.of(certificate, privateKey, keyStore);
    }

    private static Path sibling(Path prefix, String suffix) {
        return prefix.resolveSibling(prefix.getFileName() + suffix);
    }
}
