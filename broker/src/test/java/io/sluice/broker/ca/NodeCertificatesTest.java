package io.sluice.broker.ca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.broker.ca.NodeValidation.Reason;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.junit.jupiter.api.Test;

class NodeCertificatesTest {
    private static final Instant START = Instant.parse("2026-01-01T00:00:00Z");
    private static final Instant END = Instant.parse("2027-01-01T00:00:00Z");

    private final CertificateAuthority ca = CertificateAuthority.create("Test CA", CaAlgorithm.P256,
            Instant.parse("2025-01-01T00:00:00Z"), Instant.parse("2035-01-01T00:00:00Z"));

    @Test
    void readsNodeIdRegionAndCertificateId() throws Exception {
        IssuedCertificate node = ca.issueNode("gpu-07", "eu-central", START, END);

        String sha256 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(node.certificate().getEncoded()));
        assertThat(NodeCertificates.read(node.certificate())).contains(new NodeIdentity("gpu-07", "eu-central", sha256));
    }

    @Test
    void nodeCertificateCarriesTheIdentityAsSubjectAndSanUris() throws Exception {
        IssuedCertificate node = ca.issueNode("gpu-07", "eu-central", START, END);

        assertThat(node.certificate().getSubjectX500Principal().getName()).isEqualTo("CN=gpu-07");
        assertThat(node.certificate().getSubjectAlternativeNames()).containsExactly(
                List.of(6, "urn:sluice:node:gpu-07"), List.of(6, "urn:sluice:region:eu-central"));
        assertThat(node.certificate().getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.2");
        assertThat(node.certificate().getBasicConstraints()).isEqualTo(-1);
        assertThat(node.certificate().getKeyUsage()[0]).as("digitalSignature").isTrue();
    }

    @Test
    void readsNothingFromServerCertificate() {
        assertThat(NodeCertificates.read(ca.issueServer(List.of("localhost"), START, END).certificate())).isEmpty();
    }

    @Test
    void refusesTwoNodeIds() {
        IssuedCertificate node = ca.issue(CertificateAuthority.commonName("gpu-07"), List.of(
                uri("urn:sluice:node:gpu-07"), uri("urn:sluice:node:gpu-08"), uri("urn:sluice:region:eu-central")),
                KeyPurposeId.id_kp_clientAuth, START, END);

        assertThat(NodeCertificates.inspect(node.certificate())).isEqualTo(new NodeValidation.Refused(Reason.MISSING_NODE_ID,
                "node certificate CN=gpu-07 carries 2 node ids [gpu-07, gpu-08]; exactly one is allowed"));
        assertThat(NodeCertificates.read(node.certificate())).isEmpty();
    }

    @Test
    void refusesTwoRegions() {
        IssuedCertificate node = ca.issue(CertificateAuthority.commonName("gpu-07"), List.of(
                uri("urn:sluice:node:gpu-07"), uri("urn:sluice:region:eu-central"), uri("urn:sluice:region:us-east")),
                KeyPurposeId.id_kp_clientAuth, START, END);

        assertThat(NodeCertificates.inspect(node.certificate())).isEqualTo(new NodeValidation.Refused(Reason.MISSING_REGION,
                "node certificate CN=gpu-07 carries 2 regions [eu-central, us-east]; exactly one is allowed"));
    }

    @Test
    void refusesNodeIdThatDisagreesWithTheCommonName() {
        IssuedCertificate node = ca.issue(CertificateAuthority.commonName("gpu-08"), List.of(
                uri("urn:sluice:node:gpu-07"), uri("urn:sluice:region:eu-central")),
                KeyPurposeId.id_kp_clientAuth, START, END);

        assertThat(NodeCertificates.inspect(node.certificate())).isEqualTo(new NodeValidation.Refused(Reason.MISSING_NODE_ID,
                "node certificate CN=gpu-08 names node id 'gpu-07' but its CN is not that id"));
    }

    @Test
    void refusesMalformedRegion() {
        IssuedCertificate node = ca.issue(CertificateAuthority.commonName("gpu-07"), List.of(
                uri("urn:sluice:node:gpu-07"), uri("urn:sluice:region:eu%20central")),
                KeyPurposeId.id_kp_clientAuth, START, END);

        assertThat(NodeCertificates.inspect(node.certificate())).isEqualTo(new NodeValidation.Refused(Reason.MISSING_REGION,
                "node certificate CN=gpu-07 carries a malformed region 'eu%20central'"));
    }

    @Test
    void issuingRefusesNodeIdsThatCannotBeReadBackUnambiguously() {
        assertThatThrownBy(() -> ca.issueNode("gpu 07", "eu-central", START, END)).hasMessage(
                "node id must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit, was 'gpu 07'");
        assertThatThrownBy(() -> ca.issueNode("gpu-07", "eu:central", START, END)).hasMessage(
                "region must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit, was 'eu:central'");
    }

    private static GeneralName uri(String uri) {
        return new GeneralName(GeneralName.uniformResourceIdentifier, uri);
    }
}
