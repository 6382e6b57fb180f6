package io.sluice.broker.ca;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.Broker;
import io.sluice.broker.BrokerConfig;
import io.sluice.broker.TestHttp;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The broker over HTTPS with {@code --client-ca}: training nodes present certificates of the data
 * space CA; the node's id and region decide (policy {@code nodeRegion}) and are recorded in every
 * audit record of the stream; every refused node is audited with the reason.
 */
class BrokerNodeTlsIT {
    private static final char[] PASSWORD = "changeit".toCharArray();
    private static final String POLICY = """
            {"@type": "Set", "permission": [{"action": "use", "constraint": [
              {"leftOperand": "purpose", "operator": "isAnyOf", "rightOperand": ["scientific-research"]},
              {"leftOperand": "nodeRegion", "operator": "isAnyOf", "rightOperand": ["eu-central", "eu-west"]}]}]}""";

    @TempDir
    static Path dir;

    private static CertificateAuthority ca;
    private static Broker broker;
    private static String lab;
    private static String auditor;
    private static String grantId;

    @BeforeAll
    static void start() throws Exception {
        ca = CertificateAuthority.init(dir.resolve("ca"), "Test data space CA", CaAlgorithm.P256, Duration.ofDays(30));
        CertificateFiles server = ca.issueServer(List.of("127.0.0.1"), Duration.ofDays(1)).writeTo(dir.resolve("server"), PASSWORD);
        BrokerConfig config = BrokerConfig.embedded(dir.resolve("data")).withTls(new BrokerConfig.Tls(server.certificate(),
                server.privateKey(), Optional.of(dir.resolve("ca").resolve(CertificateAuthority.CERTIFICATE_FILE))));
        io.sluice.broker.TestParquet.write(config.sourcesDir().resolve("hospital-a/small.parquet"));
        broker = Broker.start(config);
        HttpClient anonymous = client(Optional.empty());
        String owner = devToken(anonymous, "owner", "hospital-a", "data-owner");
        lab = devToken(anonymous, "lab", "ai-lab", "data-consumer");
        auditor = devToken(anonymous, "ines", "authority", "compliance-officer");
        String datasetId = TestHttp.id(send(anonymous, "POST", "/v1/datasets", owner, "{\"name\":\"small\",\"source\":"
                + "{\"type\":\"parquet\",\"path\":\"small.parquet\"},\"policy\":" + POLICY + "}").body());
        HttpClient euNode = client(Optional.of(ca.issueNode("gpu-07", "eu-central", Duration.ofDays(1))));
        var grant = send(euNode, "POST", "/v1/grants", lab, "{\"dataset\":\"" + datasetId + "\",\"purpose\":\"scientific-research\"}");
        assertThat(grant.statusCode()).as(grant.body()).isEqualTo(201);
        grantId = TestHttp.id(grant.body());
    }

    @AfterAll
    static void stop() {
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void aNodeInAnAllowedRegionStreamsAndIsNamedInTheAuditRecords() throws Exception {
        HttpClient node = client(Optional.of(ca.issueNode("gpu-07", "eu-central", Duration.ofDays(1))));
        var stream = send(node, "GET", "/v1/grants/" + grantId + "/stream", lab, null);
        assertThat(stream.statusCode()).as(stream.body()).isEqualTo(200);
        String streamId = stream.headers().firstValue("Sluice-Stream-Id").orElseThrow();
        String audit = send(client(Optional.empty()), "GET", "/v1/audit?action=stream.closed&limit=1000", auditor, null).body();
        assertThat(audit).contains(streamId).contains("\"node\":{").contains("\"id\":\"gpu-07\"")
                .contains("\"region\":\"eu-central\"");
    }

    @Test
    void aNodeInAnotherRegionIsDenied() throws Exception {
        HttpClient node = client(Optional.of(ca.issueNode("gpu-99", "us-east", Duration.ofDays(1))));
        var stream = send(node, "GET", "/v1/grants/" + grantId + "/stream", lab, null);
        assertThat(stream.statusCode()).isEqualTo(403);
        assertThat(stream.body()).contains("us-east");
        assertAudited(stream, "grant.denied");
    }

    @Test
    void noCertificateAnExpiredOneAndOneFromAnotherCaAreRefusedAndAudited() throws Exception {
        Instant now = Instant.now();
        CertificateAuthority otherCa = CertificateAuthority.create("Other CA", CaAlgorithm.P256, Duration.ofDays(30));
        List<Optional<IssuedCertificate>> refused = List.of(
                Optional.empty(),
                Optional.of(ca.issueNode("gpu-07", "eu-central", now.minus(Duration.ofDays(2)), now.minus(Duration.ofDays(1)))),
                Optional.of(otherCa.issueNode("gpu-07", "eu-central", Duration.ofDays(1))));
        for (Optional<IssuedCertificate> certificate : refused) {
            var stream = send(client(certificate), "GET", "/v1/grants/" + grantId + "/stream", lab, null);
            assertThat(stream.statusCode()).as(String.valueOf(certificate)).isEqualTo(403);
            assertThat(stream.body()).contains("node certificate refused");
            assertAudited(stream, "auth.failed");
        }
    }

    private static void assertAudited(HttpResponse<String> response, String action) throws Exception {
        String requestId = response.headers().firstValue("Sluice-Request-Id").orElseThrow();
        String audit = send(client(Optional.empty()), "GET", "/v1/audit?action=" + action + "&limit=1000", auditor, null).body();
        assertThat(audit).contains(requestId);
    }

    private static HttpClient client(Optional<IssuedCertificate> certificate) throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", ca.certificate());
        TrustManagerFactory trustManagers = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trustManagers.init(trust);
        KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keyManagers.init(certificate.isPresent() ? certificate.get().toKeyStore(PASSWORD) : null, PASSWORD);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(certificate.isPresent() ? keyManagers.getKeyManagers() : null, trustManagers.getTrustManagers(), null);
        return HttpClient.newBuilder().sslContext(context).connectTimeout(Duration.ofSeconds(5)).build();
    }

    private static HttpResponse<String> send(HttpClient client, String method, String path, String token, String json)
            throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(broker.uri() + path)).timeout(Duration.ofSeconds(30));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        request.method(method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
        return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String devToken(HttpClient client, String subject, String organisation, String role) throws Exception {
        String body = send(client, "POST", "/v1/dev/token", null, "{\"subject\":\"" + subject + "\",\"organisation\":\""
                + organisation + "\",\"roles\":[\"" + role + "\"]}").body();
        return new io.vertx.core.json.JsonObject(body).getString("token");
    }
}
