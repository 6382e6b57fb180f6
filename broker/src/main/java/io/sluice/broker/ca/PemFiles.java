package io.sluice.broker.ca;

import static java.util.Objects.requireNonNull;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.edec.EdECObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemWriter;

/**
 * Reads and writes the PEM files of the data space's CA: {@code CERTIFICATE} blocks and
 * unencrypted PKCS#8 {@code PRIVATE KEY} blocks, the formats Vert.x's {@code PemKeyCertOptions}
 * and {@code PemTrustOptions} read. Reading also accepts the traditional OpenSSL
 * {@code EC PRIVATE KEY} and {@code RSA PRIVATE KEY} blocks.
 *
 * <p>Writers never overwrite: a file that exists is an error. Private keys are created with
 * owner-only permissions ({@code rw-------}) from the start, never widened afterwards.
 * Stateless and thread-safe.
 */
public final class PemFiles {
    private static final String CERTIFICATE = "CERTIFICATE";
    private static final String PRIVATE_KEY = "PRIVATE KEY";
    private static final Map<ASN1ObjectIdentifier, String> KEY_ALGORITHMS = Map.of(
            X9ObjectIdentifiers.id_ecPublicKey, "EC",
            EdECObjectIdentifiers.id_Ed25519, "Ed25519",
            EdECObjectIdentifiers.id_Ed448, "Ed448",
            PKCSObjectIdentifiers.rsaEncryption, "RSA",
            PKCSObjectIdentifiers.id_RSASSA_PSS, "RSASSA-PSS");

    private PemFiles() {
    }

    /** The first certificate in a PEM file; fails if it holds none. */
    public static X509Certificate readCertificate(Path file) throws IOException {
        return readCertificates(file).getFirst();
    }

    /** Every certificate in a PEM file, in file order; other blocks are skipped. Fails if there is none. */
    public static List<X509Certificate> readCertificates(Path file) throws IOException {
        List<X509Certificate> certificates = new ArrayList<>();
        for (Object object : parse(file)) {
            if (object instanceof X509CertificateHolder holder) {
                certificates.add(toCertificate(holder.getEncoded(), file));
            }
        }
        if (certificates.isEmpty()) {
            throw new IOException(file + ": no -----BEGIN CERTIFICATE----- block");
        }
        return List.copyOf(certificates);
    }

    /**
     * The private key in a PEM file: PKCS#8 {@code PRIVATE KEY} (EC, Ed25519, Ed448, RSA) or a
     * traditional {@code EC}/{@code RSA PRIVATE KEY}. Encrypted keys are refused.
     */
    public static PrivateKey readPrivateKey(Path file) throws IOException {
        for (Object object : parse(file)) {
            switch (object) {
                case PrivateKeyInfo info -> {
                    return toPrivateKey(info, file);
                }
                case PEMKeyPair pair -> {
                    return toPrivateKey(pair.getPrivateKeyInfo(), file);
                }
                case PKCS8EncryptedPrivateKeyInfo ignored ->
                    throw new IOException(file + ": the private key is encrypted; Sluice reads unencrypted PKCS#8 keys only");
                default -> {
                    // a certificate or parameters beside the key: skip
                }
            }
        }
        throw new IOException(file + ": no -----BEGIN PRIVATE KEY----- block");
    }

    /** Every PEM block of a file, parsed by Bouncy Castle; a malformed block fails naming the file. */
    private static List<Object> parse(Path file) throws IOException {
        requireNonNull(file, "file is null");
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.US_ASCII)) {
            PEMParser parser = new PEMParser(reader);
            List<Object> objects = new ArrayList<>();
            try {
                for (Object object = parser.readObject(); object != null; object = parser.readObject()) {
                    objects.add(object);
                }
            } catch (IOException | RuntimeException e) {
                throw new IOException(file + ": not a readable PEM file: " + e.getMessage(), e);
            }
            return objects;
        }
    }

    /** Writes certificates as {@code CERTIFICATE} blocks to a new file (readable by others: certificates are public). */
    public static void writeCertificates(Path file, List<X509Certificate> certificates) throws IOException {
        requireNonNull(file, "file is null");
        if (certificates.isEmpty()) {
            throw new IllegalArgumentException("certificates must not be empty");
        }
        List<PemObject> blocks = new ArrayList<>();
        for (X509Certificate certificate : certificates) {
            try {
                blocks.add(new PemObject(CERTIFICATE, certificate.getEncoded()));
            } catch (CertificateEncodingException e) {
                throw new IllegalArgumentException("certificate " + certificate.getSubjectX500Principal() + " cannot be encoded", e);
            }
        }
        writeNew(file, encode(blocks), false);
    }

    /** Writes a private key as an unencrypted PKCS#8 {@code PRIVATE KEY} block to a new owner-only file. */
    public static void writePrivateKey(Path file, PrivateKey key) throws IOException {
        requireNonNull(file, "file is null");
        requireNonNull(key, "key is null");
        if (!"PKCS#8".equals(key.getFormat())) {
            throw new IllegalArgumentException("key must be PKCS#8-encodable, was " + key.getFormat());
        }
        writeNew(file, encode(List.of(new PemObject(PRIVATE_KEY, key.getEncoded()))), true);
    }

    /**
     * Creates {@code file} with the given bytes; fails with {@link java.nio.file.FileAlreadyExistsException}
     * if it exists. With {@code ownerOnly}, the file is created {@code rw-------} where the file
     * system has POSIX permissions.
     */
    static void writeNew(Path file, byte[] content, boolean ownerOnly) throws IOException {
        Set<OpenOption> options = Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        boolean posix = file.getFileSystem().supportedFileAttributeViews().contains("posix");
        FileAttribute<?>[] attributes = ownerOnly && posix
                ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))}
                : new FileAttribute<?>[0];
        try (SeekableByteChannel channel = Files.newByteChannel(file, options, attributes)) {
            ByteBuffer buffer = ByteBuffer.wrap(content);
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
        }
    }

    private static byte[] encode(List<PemObject> blocks) {
        StringWriter text = new StringWriter();
        try (PemWriter writer = new PemWriter(text)) {
            for (PemObject block : blocks) {
                writer.writeObject(block);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("writing PEM to memory failed", e);
        }
        return text.toString().getBytes(StandardCharsets.US_ASCII);
    }

    private static X509Certificate toCertificate(byte[] der, Path file) throws IOException {
        try {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
        } catch (CertificateException e) {
            throw new IOException(file + ": not an X.509 certificate: " + e.getMessage(), e);
        }
    }

    private static PrivateKey toPrivateKey(PrivateKeyInfo info, Path file) throws IOException {
        ASN1ObjectIdentifier oid = info.getPrivateKeyAlgorithm().getAlgorithm();
        String algorithm = KEY_ALGORITHMS.get(oid);
        if (algorithm == null) {
            throw new IOException(file + ": unsupported private key algorithm " + oid.getId()
                    + " (supported: EC, Ed25519, Ed448, RSA)");
        }
        try {
            return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(info.getEncoded()));
        } catch (NoSuchAlgorithmException e) {
            throw new IOException(file + ": the JDK has no " + algorithm + " key factory", e);
        } catch (GeneralSecurityException e) {
            throw new IOException(file + ": not a valid " + algorithm + " private key: " + e.getMessage(), e);
        }
    }
}
