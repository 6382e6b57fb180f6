package io.sluice.broker.ca;

import static java.util.Objects.requireNonNull;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;

/**
 * A certificate the CA issued, with its private key and the CA certificate that signed it.
 * Holds a private key: never log it.
 */
public record IssuedCertificate(X509Certificate certificate, PrivateKey privateKey, X509Certificate caCertificate) {
    /** Alias of the CA certificate's trusted entry in the PKCS#12 key store. */
    public static final String CA_ALIAS = "sluice-ca";

    public IssuedCertificate {
        requireNonNull(certificate, "certificate is null");
        requireNonNull(privateKey, "privateKey is null");
        requireNonNull(caCertificate, "caCertificate is null");
    }

    /** The chain a TLS peer presents: this certificate, then the CA's. */
    public List<X509Certificate> chain() {
        return List.of(certificate, caCertificate);
    }

    /**
     * A PKCS#12 key store with the private key and {@link #chain()} under the certificate's CN, and
     * the CA certificate as a trusted entry ({@value #CA_ALIAS}), so that one file serves a Java
     * client as key store and trust store.
     */
    public KeyStore toKeyStore(char[] password) {
        checkPassword(password);
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            String alias = NodeCertificates.commonName(certificate.getSubjectX500Principal()).orElse("certificate");
            store.setKeyEntry(alias, privateKey, password, chain().toArray(Certificate[]::new));
            store.setCertificateEntry(CA_ALIAS, caCertificate);
            return store;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot build a PKCS#12 key store", e);
        }
    }

    /**
     * Writes {@code <prefix>.crt}, {@code <prefix>.key} and {@code <prefix>.p12} (see
     * {@link CertificateFiles}), creating the parent directory if needed. Refuses to overwrite:
     * if any of the three exists, nothing is written. If writing fails half-way, the files
     * already written are removed.
     */
    public CertificateFiles writeTo(Path prefix, char[] password) throws IOException {
        checkPassword(password);
        CertificateFiles files = CertificateFiles.forPrefix(prefix);
        for (Path file : files.all()) {
            if (Files.exists(file)) {
                throw new FileAlreadyExistsException(file.toString(), null,
                        file + " already exists; refusing to overwrite it (remove it or choose another --out)");
            }
        }
        ByteArrayOutputStream keyStore = new ByteArrayOutputStream();
        try {
            toKeyStore(password).store(keyStore, password);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot encode a PKCS#12 key store", e);
        }
        Path parent = files.certificate().toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        List<Path> written = new ArrayList<>();
        try {
            PemFiles.writePrivateKey(files.privateKey(), privateKey);
            written.add(files.privateKey());
            PemFiles.writeCertificates(files.certificate(), List.of(certificate));
            written.add(files.certificate());
            PemFiles.writeNew(files.keyStore(), keyStore.toByteArray(), true);
            written.add(files.keyStore());
        } catch (IOException | RuntimeException e) {
            for (Path file : written) {
                try {
                    Files.deleteIfExists(file);
                } catch (IOException cleanup) {
                    e.addSuppressed(cleanup);
                }
            }
            throw e;
        }
        return files;
    }

    @Override
    public String toString() {
        return "IssuedCertificate[" + certificate.getSubjectX500Principal().getName() + ", serial "
                + certificate.getSerialNumber().toString(16) + "]";
    }

    private static void checkPassword(char[] password) {
        requireNonNull(password, "password is null");
        if (password.length == 0) {
            throw new IllegalArgumentException("key store password must not be empty");
        }
    }
}
