package io.sluice.broker.ca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class CertificateAuthorityTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(CaAlgorithm.class)
    void initWritesASelfSignedCaCertificateAndAnOwnerOnlyKey(CaAlgorithm algorithm) throws Exception {
        Path caDir = dir.resolve("ca");
        CertificateAuthority ca = CertificateAuthority.init(caDir, "Sluice data space CA", algorithm, Duration.ofDays(30));

        X509Certificate certificate = PemFiles.readCertificate(caDir.resolve("ca.crt"));
        assertThat(certificate).isEqualTo(ca.certificate());
        assertThat(certificate.getSubjectX500Principal().getName()).isEqualTo("CN=Sluice data space CA");
        assertThat(certificate.getIssuerX500Principal()).isEqualTo(certificate.getSubjectX500Principal());
        certificate.verify(certificate.getPublicKey());
        assertThat(certificate.getBasicConstraints()).as("CA, pathLen 0").isEqualTo(0);
        assertThat(certificate.getCriticalExtensionOIDs()).contains(Extension.basicConstraints.getId(), Extension.keyUsage.getId());
        assertThat(certificate.getKeyUsage()).as("keyCertSign (5) and cRLSign (6) only")
                .containsExactly(false, false, false, false, false, true, true, false, false);
        assertThat(certificate.getExtensionValue(Extension.subjectKeyIdentifier.getId())).isNotNull();
        assertThat(Duration.between(certificate.getNotBefore().toInstant(), certificate.getNotAfter().toInstant()))
                .isEqualTo(Duration.ofDays(30).plus(CertificateAuthority.BACKDATE));
        assertThat(ca.algorithm()).isEqualTo(algorithm);
        assertThat(PemFiles.readPrivateKey(caDir.resolve("ca.key")).getAlgorithm()).isEqualTo(algorithm == CaAlgorithm.P256 ? "EC" : "EdDSA");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(caDir.resolve("ca.key")))).isEqualTo("rw-------");
    }

    @Test
    void initRefusesToOverwriteAnExistingCa() throws Exception {
        CertificateAuthority.init(dir, "First", CaAlgorithm.P256, Duration.ofDays(30));
        byte[] key = Files.readAllBytes(dir.resolve("ca.key"));

        assertThatThrownBy(() -> CertificateAuthority.init(dir, "Second", CaAlgorithm.P256, Duration.ofDays(30)))
                .isInstanceOfSatisfying(FileAlreadyExistsException.class, e -> assertThat(e.getReason())
                        .isEqualTo("a CA already exists in " + dir + " (ca.crt); refusing to overwrite it"));
        assertThat(Files.readAllBytes(dir.resolve("ca.key"))).isEqualTo(key);
    }

    @Test
    void initRefusesWhenOnlyTheKeyIsLeft() throws Exception {
        CertificateAuthority.init(dir, "First", CaAlgorithm.P256, Duration.ofDays(30));
        Files.delete(dir.resolve("ca.crt"));

        assertThatThrownBy(() -> CertificateAuthority.init(dir, "Second", CaAlgorithm.P256, Duration.ofDays(30)))
                .isInstanceOfSatisfying(FileAlreadyExistsException.class, e -> assertThat(e.getReason())
                        .isEqualTo("a CA already exists in " + dir + " (ca.key); refusing to overwrite it"));
        assertThat(dir.resolve("ca.crt")).doesNotExist();
    }

    @Test
    void loadReadsBackTheCaAndItIssuesVerifiableCertificates() throws Exception {
        CertificateAuthority created = CertificateAuthority.init(dir, "Sluice data space CA", CaAlgorithm.P256, Duration.ofDays(30));

        CertificateAuthority loaded = CertificateAuthority.load(dir);
        IssuedCertificate node = loaded.issueNode("gpu-07", "eu-central", Duration.ofDays(1));

        assertThat(loaded.certificate()).isEqualTo(created.certificate());
        node.certificate().verify(created.certificate().getPublicKey());
        byte[] authorityKeyId = AuthorityKeyIdentifier.getInstance(ASN1OctetString.getInstance(
                node.certificate().getExtensionValue(Extension.authorityKeyIdentifier.getId())).getOctets()).getKeyIdentifier();
        byte[] caKeyId = SubjectKeyIdentifier.getInstance(ASN1OctetString.getInstance(
                created.certificate().getExtensionValue(Extension.subjectKeyIdentifier.getId())).getOctets()).getKeyIdentifier();
        assertThat(authorityKeyId).isEqualTo(caKeyId);
    }

    @Test
    void loadSaysHowToCreateAMissingCa() {
        assertThatThrownBy(() -> CertificateAuthority.load(dir))
                .isInstanceOfSatisfying(NoSuchFileException.class, e -> assertThat(e.getReason())
                        .isEqualTo("no CA in " + dir + " (ca.crt is missing); create one with `sluice ca init --dir " + dir + "`"));
    }

    @Test
    void loadRefusesAKeyThatDoesNotBelongToTheCertificate() throws Exception {
        CertificateAuthority.init(dir.resolve("a"), "A", CaAlgorithm.P256, Duration.ofDays(30));
        CertificateAuthority.init(dir.resolve("b"), "B", CaAlgorithm.P256, Duration.ofDays(30));
        Files.delete(dir.resolve("a/ca.key"));
        Files.copy(dir.resolve("b/ca.key"), dir.resolve("a/ca.key"));

        assertThatThrownBy(() -> CertificateAuthority.load(dir.resolve("a")))
                .hasMessage(dir.resolve("a") + ": the CA key does not belong to the CA certificate");
    }

    @Test
    void serverCertificateNamesEveryHostAndIsForServerAuthentication() throws Exception {
        CertificateAuthority ca = CertificateAuthority.create("CA", CaAlgorithm.P256, Duration.ofDays(30));

        X509Certificate server = ca.issueServer(List.of("127.0.0.1", "localhost", "::1", "broker.example.org"),
                Duration.ofDays(1)).certificate();

        assertThat(server.getSubjectX500Principal().getName()).isEqualTo("CN=127.0.0.1");
        assertThat(server.getSubjectAlternativeNames()).containsExactly(
                List.of(7, "127.0.0.1"), List.of(2, "localhost"), List.of(7, "0:0:0:0:0:0:0:1"), List.of(2, "broker.example.org"));
        assertThat(server.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.1");
    }

    @Test
    void serverCertificateRefusesWhatIsNeitherAnAddressNorAHostName() {
        CertificateAuthority ca = CertificateAuthority.create("CA", CaAlgorithm.P256, Duration.ofDays(30));

        assertThatThrownBy(() -> ca.issueServer(List.of("https://broker"), Duration.ofDays(1)))
                .hasMessage("host must be an IP address or a DNS name, was 'https://broker'");
        assertThatThrownBy(() -> ca.issueServer(List.of(), Duration.ofDays(1))).hasMessage("at least one host is required");
    }

    @Test
    void issuedCertificatesNeverOutliveTheCa() {
        Instant caEnd = Instant.parse("2030-01-01T00:00:00Z");
        CertificateAuthority ca = CertificateAuthority.create("CA", CaAlgorithm.P256, Instant.parse("2025-01-01T00:00:00Z"), caEnd);

        X509Certificate node = ca.issueNode("gpu-07", "eu-central", Instant.parse("2029-06-01T00:00:00Z"),
                Instant.parse("2031-01-01T00:00:00Z")).certificate();

        assertThat(node.getNotAfter().toInstant()).isEqualTo(caEnd);
    }

    @Test
    void issuingFromAnExpiredCaFails() {
        Instant caEnd = Instant.parse("2024-01-01T00:00:00Z");
        CertificateAuthority ca = CertificateAuthority.create("CA", CaAlgorithm.P256, Instant.parse("2023-01-01T00:00:00Z"), caEnd);

        assertThatThrownBy(() -> ca.issueNode("gpu-07", "eu-central", Instant.parse("2025-01-01T00:00:00Z"),
                Instant.parse("2026-01-01T00:00:00Z")))
                .hasMessage("validity must end after it starts (2025-01-01T00:00:00Z .. 2024-01-01T00:00:00Z;"
                        + " the CA is valid until 2024-01-01T00:00:00Z)");
    }

    @Test
    void writesCertificateKeyAndKeyStoreAndRefusesToOverwriteThem() throws Exception {
        CertificateAuthority ca = CertificateAuthority.create("CA", CaAlgorithm.P256, Duration.ofDays(30));
        IssuedCertificate node = ca.issueNode("gpu-07", "eu-central", Duration.ofDays(1));

        CertificateFiles files = node.writeTo(dir.resolve("nodes/gpu-07"), "secret".toCharArray());

        assertThat(files).isEqualTo(new CertificateFiles(dir.resolve("nodes/gpu-07.crt"), dir.resolve("nodes/gpu-07.key"),
                dir.resolve("nodes/gpu-07.p12")));
        assertThat(PemFiles.readCertificate(files.certificate())).isEqualTo(node.certificate());
        assertThat(PemFiles.readPrivateKey(files.privateKey())).isEqualTo(node.privateKey());
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(files.privateKey()))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(files.keyStore()))).isEqualTo("rw-------");
        KeyStore store = KeyStore.getInstance(files.keyStore().toFile(), "secret".toCharArray());
        assertThat(store.getKey("gpu-07", "secret".toCharArray())).isEqualTo(node.privateKey());
        assertThat(store.getCertificateChain("gpu-07")).containsExactly(node.certificate(), ca.certificate());
        assertThat(store.isCertificateEntry(IssuedCertificate.CA_ALIAS)).isTrue();
        assertThat(store.getCertificate(IssuedCertificate.CA_ALIAS)).isEqualTo(ca.certificate());

        IssuedCertificate again = ca.issueNode("gpu-07", "eu-central", Duration.ofDays(1));
        assertThatThrownBy(() -> again.writeTo(dir.resolve("nodes/gpu-07"), "secret".toCharArray()))
                .isInstanceOfSatisfying(FileAlreadyExistsException.class, e -> assertThat(e.getReason()).isEqualTo(
                        dir.resolve("nodes/gpu-07.crt") + " already exists; refusing to overwrite it (remove it or choose another --out)"));
        assertThat(PemFiles.readCertificate(files.certificate())).isEqualTo(node.certificate());
    }

    @Test
    void keyStoreNeedsAPassword() {
        CertificateAuthority ca = CertificateAuthority.create("CA", CaAlgorithm.P256, Duration.ofDays(30));
        IssuedCertificate node = ca.issueNode("gpu-07", "eu-central", Duration.ofDays(1));

        assertThatThrownBy(() -> node.writeTo(dir.resolve("gpu-07"), new char[0])).hasMessage("key store password must not be empty");
        assertThat(dir.resolve("gpu-07.key")).doesNotExist();
    }

    @Test
    void algorithmNamesAreTheCommandLineNames() {
        assertThat(CaAlgorithm.fromName("P256")).isEqualTo(CaAlgorithm.P256);
        assertThat(CaAlgorithm.fromName("ed25519")).isEqualTo(CaAlgorithm.ED25519);
        assertThatThrownBy(() -> CaAlgorithm.fromName("rsa")).hasMessage("algorithm must be one of p256, ed25519, was rsa");
    }

    @Test
    void caNameMustFitACommonName() {
        assertThatThrownBy(() -> CertificateAuthority.create(" ", CaAlgorithm.P256, Duration.ofDays(1)))
                .hasMessage("CA name must be 1 to 64 characters, was ' '");
    }
}
