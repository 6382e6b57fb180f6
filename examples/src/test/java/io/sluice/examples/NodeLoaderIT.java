package io.sluice.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.sluice.broker.Broker;
import io.sluice.broker.BrokerConfig;
import io.sluice.broker.ca.CaAlgorithm;
import io.sluice.broker.ca.CertificateAuthority;
import io.sluice.broker.ca.CertificateFiles;
import io.sluice.loader.GpuLoader;
import io.sluice.loader.GrantStream;
import io.sluice.loader.HostBatch;
import io.sluice.loader.LoaderConfig;
import io.sluice.loader.LoaderException;
import io.sluice.loader.StreamRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The GPU loader on a certified training node: it presents the node certificate over HTTPS. */
class NodeLoaderIT {
    private static final char[] PASSWORD = "node-secret".toCharArray();

    @TempDir
    Path dir;

    @Test
    void theLoaderPresentsItsNodeCertificateAndOnlyAnAllowedRegionStreams() throws Exception {
        CertificateAuthority ca = CertificateAuthority.init(dir.resolve("ca"), "Data space CA", CaAlgorithm.P256,
                Duration.ofDays(30));
        CertificateFiles server = ca.issueServer(List.of("127.0.0.1"), Duration.ofDays(1)).writeTo(dir.resolve("server"), PASSWORD);
        CertificateFiles euNode = ca.issueNode("gpu-07", "eu-central", Duration.ofDays(1)).writeTo(dir.resolve("eu"), PASSWORD);
        CertificateFiles usNode = ca.issueNode("gpu-99", "us-east", Duration.ofDays(1)).writeTo(dir.resolve("us"), PASSWORD);
        BrokerConfig config = BrokerConfig.embedded(dir.resolve("data")).withTls(new BrokerConfig.Tls(server.certificate(),
                server.privateKey(), Optional.of(dir.resolve("ca").resolve(CertificateAuthority.CERTIFICATE_FILE))));
        HospitalDataset.write(config.sourcesDir().resolve("hospital-a/patients.parquet"), 5_000, 1, n -> {});

        try (Broker broker = Broker.start(config)) {
            LoaderConfig eu = LoaderConfig.of(broker.uri()).withPinnedLimitBytes(64L << 20)
                    .withNodeCertificate(euNode.keyStore(), PASSWORD);
            String grantId;
            try (GpuLoader loader = GpuLoader.create(eu)) {
                BrokerClient client = new BrokerClient(broker.uri(), eu.tls().orElseThrow());
                String owner = client.devToken("dr-weber", "hospital-a", List.of("data-owner"));
                String lab = client.devToken("trainer-7", "ai-lab", List.of("data-consumer"));
                var registration = BrokerClient.json().createObjectNode().put("name", "patients");
                registration.putObject("source").put("type", "parquet").put("path", "patients.parquet");
                registration.set("policy", BrokerClient.json().readTree("""
                        {"@type": "Set", "permission": [{"action": "use", "constraint": [
                          {"leftOperand": "purpose", "operator": "isAnyOf", "rightOperand": ["medical-research"]},
                          {"leftOperand": "nodeRegion", "operator": "isAnyOf", "rightOperand": ["eu-central", "eu-west"]}]}]}"""));
                String datasetId = client.post("/v1/datasets", Optional.of(owner), registration).orThrow().path("id").asText();
                grantId = client.post("/v1/grants", Optional.of(lab), BrokerClient.json().createObjectNode()
                        .put("dataset", datasetId).put("purpose", "medical-research")).orThrow().path("id").asText();
                long rows = 0;
                try (GrantStream stream = loader.open(grantId, StreamRequest.whole(), () -> lab)) {
                    while (stream.hasNext()) {
                        try (HostBatch batch = stream.next()) {
                            rows += batch.rowCount();
                        }
                    }
                }
                assertThat(rows).isEqualTo(5_000);

                LoaderConfig us = LoaderConfig.of(broker.uri()).withPinnedLimitBytes(64L << 20)
                        .withNodeCertificate(usNode.keyStore(), PASSWORD);
                try (GpuLoader usLoader = GpuLoader.create(us)) {
                    LoaderException denied = assertThrows(LoaderException.class,
                            () -> usLoader.open(grantId, StreamRequest.whole(), () -> lab).close());
                    assertThat(denied.httpStatus()).isEqualTo(403);
                    assertThat(denied.reasons().toString()).contains("NODE_NOT_PERMITTED");
                }
            }
        }
    }
}
