package io.sluice.broker.ca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.StringWriter;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.util.List;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8EncryptorBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PemFilesTest {
    @TempDir
    Path dir;

    private final CertificateAuthority ca = CertificateAuthority.create("CA", CaAlgorithm.P256, Duration.ofDays(30));

    @ParameterizedTest
    @ValueSource(strings = {"EC", "Ed25519", "RSA"})
    void readsBackPkcs8PrivateKeys(String algorithm) throws Exception {
        PrivateKey key = KeyPairGenerator.getInstance(algorithm).generateKeyPair().getPrivate();
        Path file = dir.resolve("key.pem");

        PemFiles.writePrivateKey(file, key);

        assertThat(Files.readString(file)).startsWith("-----BEGIN PRIVATE KEY-----\n").endsWith("-----END PRIVATE KEY-----\n");
        assertThat(PemFiles.readPrivateKey(file)).isEqualTo(key);
    }

    @Test
    void readsTraditionalOpenSslEcPrivateKeys() throws Exception {
        // Bouncy Castle, like OpenSSL, writes the curve inside the SEC1 structure of an "EC PRIVATE KEY".
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC", new BouncyCastleProvider());
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair keys = generator.generateKeyPair();
        Path file = Files.writeString(dir.resolve("key.pem"), traditionalPem(keys));
        assertThat(Files.readString(file)).startsWith("-----BEGIN EC PRIVATE KEY-----");

        PrivateKey read = PemFiles.readPrivateKey(file);

        assertThat(read.getAlgorithm()).isEqualTo("EC");
        assertThat(((ECPrivateKey) read).getS()).isEqualTo(((ECPrivateKey) keys.getPrivate()).getS());
    }

    @Test
    void readsTraditionalOpenSslRsaPrivateKeys() throws Exception {
        KeyPair keys = KeyPairGenerator.getInstance("RSA").generateKeyPair();
        Path file = Files.writeString(dir.resolve("key.pem"), traditionalPem(keys));
        assertThat(Files.readString(file)).startsWith("-----BEGIN RSA PRIVATE KEY-----");

        assertThat(PemFiles.readPrivateKey(file)).isEqualTo(keys.getPrivate());
    }

    @Test
    void refusesEncryptedPrivateKeys() throws Exception {
        PrivateKey key = KeyPairGenerator.getInstance("EC").generateKeyPair().getPrivate();
        StringWriter pem = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(pem)) {
            writer.writeObject(new JcaPKCS8Generator(key, new JceOpenSSLPKCS8EncryptorBuilder(JcaPKCS8Generator.AES_256_CBC)
                    .setProvider(new BouncyCastleProvider()).setRandom(new SecureRandom()).setPassword("secret".toCharArray()).build()));
        }
        Path file = Files.writeString(dir.resolve("key.pem"), pem.toString());

        assertThatThrownBy(() -> PemFiles.readPrivateKey(file))
                .hasMessage(file + ": the private key is encrypted; Sluice reads unencrypted PKCS#8 keys only");
    }

    @Test
    void readsEveryCertificateOfAFileInOrder() throws Exception {
        IssuedCertificate node = ca.issueNode("gpu-07", "eu-central", Duration.ofDays(1));
        Path file = dir.resolve("chain.pem");

        PemFiles.writeCertificates(file, node.chain());

        assertThat(PemFiles.readCertificates(file)).containsExactly(node.certificate(), ca.certificate());
        assertThat(PemFiles.readCertificate(file)).isEqualTo(node.certificate());
    }

    @Test
    void readsTheKeyAndTheCertificateOfACombinedFile() throws Exception {
        IssuedCertificate node = ca.issueNode("gpu-07", "eu-central", Duration.ofDays(1));
        PemFiles.writeCertificates(dir.resolve("c.pem"), List.of(node.certificate()));
        PemFiles.writePrivateKey(dir.resolve("k.pem"), node.privateKey());
        Path combined = Files.writeString(dir.resolve("both.pem"),
                Files.readString(dir.resolve("c.pem")) + Files.readString(dir.resolve("k.pem")));

        assertThat(PemFiles.readCertificate(combined)).isEqualTo(node.certificate());
        assertThat(PemFiles.readPrivateKey(combined)).isEqualTo(node.privateKey());
    }

    @Test
    void saysWhatIsMissing() throws Exception {
        Path empty = Files.writeString(dir.resolve("empty.pem"), "nothing here\n");

        assertThatThrownBy(() -> PemFiles.readCertificate(empty)).hasMessage(empty + ": no -----BEGIN CERTIFICATE----- block");
        assertThatThrownBy(() -> PemFiles.readPrivateKey(empty)).hasMessage(empty + ": no -----BEGIN PRIVATE KEY----- block");
    }

    @Test
    void saysWhenAFileIsNotPem() throws Exception {
        Path broken = Files.writeString(dir.resolve("broken.pem"), "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n");

        assertThatThrownBy(() -> PemFiles.readCertificates(broken)).hasMessageStartingWith(broken + ": not a readable PEM file: ");
    }

    @Test
    void neverOverwrites() throws Exception {
        Path file = Files.writeString(dir.resolve("exists.pem"), "keep me");

        assertThatThrownBy(() -> PemFiles.writeCertificates(file, List.of(ca.certificate())))
                .isInstanceOf(FileAlreadyExistsException.class);
        assertThat(Files.readString(file)).isEqualTo("keep me");
    }

    private static String traditionalPem(KeyPair keys) throws Exception {
        StringWriter pem = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(pem)) {
            writer.writeObject(keys);
        }
        return pem.toString();
    }
}
