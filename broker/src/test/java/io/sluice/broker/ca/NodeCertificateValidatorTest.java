package io.sluice.broker.ca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.broker.ca.NodeValidation.Reason;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.junit.jupiter.api.Test;

class NodeCertificateValidatorTest {
    private static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");
    private static final Instant START = Instant.parse("2026-01-01T00:00:00Z");
    private static final Instant END = Instant.parse("2027-01-01T00:00:00Z");

    private final CertificateAuthority ca = CertificateAuthority.create("Sluice data space CA", CaAlgorithm.P256,
            Instant.parse("2025-01-01T00:00:00Z"), Instant.parse("2035-01-01T00:00:00Z"));
    private final NodeCertificateValidator validator = new NodeCertificateValidator(List.of(ca.certificate()));

    @Test
    void acceptsNodeCertificateOfItsCaAndReadsTheIdentity() {
        IssuedCertificate node = ca.issueNode("gpu-07", "eu-central", START, END);

        NodeValidation result = validator.validate(List.of(node.certificate()), NOW);

        assertThat(result).isEqualTo(new NodeValidation.Accepted(
                new NodeIdentity("gpu-07", "eu-central", NodeCertificates.certificateId(node.certificate()))));
        assertThat(result.accepted()).isTrue();
    }

    @Test
    void acceptsChainThatCarriesTheCaCertificateToo() {
        IssuedCertificate node = ca.issueNode("gpu-07", "eu-central", START, END);

        assertThat(validator.validate(node.chain(), NOW).identity()).map(NodeIdentity::nodeId).contains("gpu-07");
    }

    @Test
    void refusesWhenNoCertificateIsPresented() {
        assertThat(validator.validate(List.of(), NOW))
                .isEqualTo(new NodeValidation.Refused(Reason.NO_CERTIFICATE, "no client certificate presented"));
    }

    @Test
    void refusesExpiredCertificate() {
        IssuedCertificate node = ca.issueNode("gpu-07", "eu-central", START, Instant.parse("2026-02-01T00:00:00Z"));

        assertThat(validator.validate(List.of(node.certificate()), NOW)).isEqualTo(new NodeValidation.Refused(Reason.EXPIRED,
                "node certificate CN=gpu-07 expired at 2026-02-01T00:00:00Z"));
    }

    @Test
    void refusesCertificateNotYetValid() {
        IssuedCertificate node = ca.issueNode("gpu-07", "eu-central", Instant.parse("2026-04-01T00:00:00Z"), END);

        assertThat(validator.validate(List.of(node.certificate()), NOW)).isEqualTo(new NodeValidation.Refused(Reason.NOT_YET_VALID,
                "node certificate CN=gpu-07 is not valid before 2026-04-01T00:00:00Z"));
    }

    @Test
    void refusesCertificateOfAnotherCaWithTheSameName() {
        CertificateAuthority other = CertificateAuthority.create("Sluice data space CA", CaAlgorithm.P256, START, END);
        IssuedCertificate node = other.issueNode("gpu-07", "eu-central", START, END);

        assertThat(validator.validate(List.of(node.certificate()), NOW)).isEqualTo(new NodeValidation.Refused(Reason.UNKNOWN_CA,
                "node certificate CN=gpu-07 was not issued by this data space's CA (its issuer: CN=Sluice data space CA;"
                        + " trusted: CN=Sluice data space CA)"));
    }

    @Test
    void refusesCertificateOfAnotherCaWithAnotherName() {
        CertificateAuthority other = CertificateAuthority.create("Rogue CA", CaAlgorithm.ED25519, START, END);
        IssuedCertificate node = other.issueNode("gpu-07", "eu-central", START, END);

        assertThat(validator.validate(List.of(node.certificate()), NOW)).isEqualTo(new NodeValidation.Refused(Reason.UNKNOWN_CA,
                "node certificate CN=gpu-07 was not issued by this data space's CA (its issuer: CN=Rogue CA;"
                        + " trusted: CN=Sluice data space CA)"));
    }

    @Test
    void refusesServerCertificatePresentedAsNodeCertificate() {
        IssuedCertificate server = ca.issueServer(List.of("127.0.0.1"), START, END);

        assertThat(validator.validate(List.of(server.certificate()), NOW)).isEqualTo(new NodeValidation.Refused(
                Reason.NOT_FOR_CLIENT_AUTH,
                "node certificate CN=127.0.0.1 is not for client authentication (its extended key usage lacks clientAuth)"));
    }

    @Test
    void refusesClientCertificateWithoutNodeId() {
        IssuedCertificate node = ca.issue(CertificateAuthority.commonName("gpu-07"),
                List.of(new GeneralName(GeneralName.uniformResourceIdentifier, "urn:sluice:region:eu-central")),
                KeyPurposeId.id_kp_clientAuth, START, END);

        assertThat(validator.validate(List.of(node.certificate()), NOW)).isEqualTo(new NodeValidation.Refused(
                Reason.MISSING_NODE_ID,
                "node certificate CN=gpu-07 carries no node id (a subject alternative name URI urn:sluice:node:<id>)"));
    }

    @Test
    void refusesClientCertificateWithoutRegion() {
        IssuedCertificate node = ca.issue(CertificateAuthority.commonName("gpu-07"),
                List.of(new GeneralName(GeneralName.uniformResourceIdentifier, "urn:sluice:node:gpu-07")),
                KeyPurposeId.id_kp_clientAuth, START, END);

        assertThat(validator.validate(List.of(node.certificate()), NOW)).isEqualTo(new NodeValidation.Refused(
                Reason.MISSING_REGION,
                "node certificate CN=gpu-07 carries no region (a subject alternative name URI urn:sluice:region:<region>)"));
    }

    @Test
    void trustsEveryCaItIsGivenWhileACaIsRotated() {
        CertificateAuthority next = CertificateAuthority.create("Sluice data space CA 2", CaAlgorithm.P256, START, END);
        NodeCertificateValidator both = new NodeCertificateValidator(List.of(ca.certificate(), next.certificate()));

        assertThat(both.validate(List.of(ca.issueNode("gpu-07", "eu-central", START, END).certificate()), NOW).accepted()).isTrue();
        assertThat(both.validate(List.of(next.issueNode("gpu-08", "eu-west", START, END).certificate()), NOW).accepted()).isTrue();
    }

    @Test
    void validatesAtTheCurrentTimeByDefault() {
        IssuedCertificate fresh = ca.issueNode("gpu-07", "eu-central", Duration.ofDays(1));
        IssuedCertificate old = ca.issueNode("gpu-08", "eu-central", START, Instant.now().minusSeconds(60));

        assertThat(validator.validate(List.of(fresh.certificate())).accepted()).isTrue();
        assertThat(validator.validate(List.of(old.certificate()))).isInstanceOfSatisfying(NodeValidation.Refused.class,
                refused -> assertThat(refused.reason()).isEqualTo(Reason.EXPIRED));
    }

    @Test
    void deferringTrustManagerAcceptsAnyClientChainAndNamesTheCa() throws Exception {
        var trustManager = validator.deferringClientTrustManager();
        CertificateAuthority other = CertificateAuthority.create("Rogue CA", CaAlgorithm.P256, START, END);
        X509Certificate foreign = other.issueNode("gpu-07", "eu-central", START, END).certificate();

        trustManager.checkClientTrusted(new X509Certificate[] {foreign}, "UNKNOWN");

        assertThat(trustManager.getAcceptedIssuers()).containsExactly(ca.certificate());
        assertThatThrownBy(() -> trustManager.checkServerTrusted(new X509Certificate[] {foreign}, "UNKNOWN"))
                .hasMessage("this trust manager checks node (client) certificates only");
    }

    @Test
    void needsAtLeastOneCa() {
        assertThatThrownBy(() -> new NodeCertificateValidator(List.of())).hasMessage("caCertificates must not be empty");
    }
}
