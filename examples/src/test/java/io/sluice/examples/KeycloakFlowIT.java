package io.sluice.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.broker.Broker;
import io.sluice.broker.BrokerConfig;
import io.sluice.broker.cli.SluiceCommand;
import io.sluice.loader.ClientCredentialsTokens;
import io.sluice.loader.GpuLoader;
import io.sluice.loader.GrantStream;
import io.sluice.loader.HostBatch;
import io.sluice.loader.LoaderConfig;
import io.sluice.loader.StreamRequest;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The whole flow with a REAL Keycloak's tokens ({@code SLUICE_TEST_KEYCLOAK_URL}): the hospital
 * registers, the AI lab streams through the GPU loader with client-credentials tokens, the auditor
 * reads and verifies the log with the CLI.
 */
class KeycloakFlowIT {
    @TempDir
    Path dir;

    @Test
    void hospitalRegistersLabStreamsAuditorVerifiesAllWithKeycloakTokens() throws Exception {
        String keycloak = System.getenv("SLUICE_TEST_KEYCLOAK_URL");
        assumeTrue(keycloak != null && !keycloak.isBlank(),
                "SLUICE_TEST_KEYCLOAK_URL is not set: skipping the Keycloak flow (CI always runs it)");
        URI realm = URI.create(keycloak + "/realms/dataspace");
        BrokerConfig config = BrokerConfig.embedded(dir)
                .withOidc(new BrokerConfig.Oidc(realm, "sluice", Duration.ofSeconds(10)));
        HospitalDataset.write(config.sourcesDir().resolve("hospital-a/patients.parquet"), 20_000, 3, n -> {});
        ClientCredentialsTokens hospital = ClientCredentialsTokens.forKeycloakRealm(realm, "hospital-a", "hospital-a-secret");
        ClientCredentialsTokens lab = ClientCredentialsTokens.forKeycloakRealm(realm, "ai-lab", "ai-lab-secret");
        ClientCredentialsTokens auditor = ClientCredentialsTokens.forKeycloakRealm(realm, "auditor", "auditor-secret");

        try (Broker broker = Broker.start(config)) {
            BrokerClient client = new BrokerClient(broker.uri());
            ObjectNode registration = BrokerClient.json().createObjectNode().put("name", "patients");
            registration.putObject("source").put("type", "parquet").put("path", "patients.parquet");
            registration.set("policy", BrokerClient.json().readTree(Demo.POLICY));
            JsonNode dataset = client.post("/v1/datasets", Optional.of(hospital.get()), registration).orThrow();
            assertThat(dataset.path("organisation").asText()).isEqualTo("hospital-a");

            String grantId = client.post("/v1/grants", Optional.of(lab.get()), BrokerClient.json().createObjectNode()
                    .put("dataset", dataset.path("id").asText()).put("purpose", "medical-research")).orThrow()
                    .path("id").asText();
            long rows = 0;
            try (GpuLoader loader = GpuLoader.create(LoaderConfig.of(broker.uri()));
                    GrantStream stream = loader.open(grantId, StreamRequest.whole(), lab)) {
                while (stream.hasNext()) {
                    try (HostBatch batch = stream.next()) {
                        rows += batch.rowCount();
                    }
                }
            }
            assertThat(rows).isEqualTo(20_000);

            JsonNode records = client.get("/v1/audit", Optional.of(auditor.get()), Map.of("action", "stream.closed"))
                    .orThrow().path("records");
            assertThat(records).hasSize(1);
            assertThat(records.get(0).path("actor").path("organisation").asText()).isEqualTo("ai-lab");

            Path key = dir.resolve("audit.pub");
            Files.writeString(key, client.getText("/v1/audit/public-key", Optional.empty()));
            Path secret = dir.resolve("auditor.secret");
            Files.writeString(secret, "auditor-secret");
            StringWriter out = new StringWriter();
            CommandLine cli = SluiceCommand.commandLine();
            cli.setOut(new PrintWriter(out, true));
            cli.setErr(new PrintWriter(out, true));
            int exit = cli.execute("audit", "verify", "--broker", broker.uri().toString(), "--oidc-issuer", realm.toString(),
                    "--client-id", "auditor", "--client-secret-file", secret.toString(), "--public-key", key.toString(),
                    "--state", dir.resolve("verify-state").toString());
            assertThat(out.toString()).startsWith("OK: ");
            assertThat(exit).isZero();
        }
    }
}
