package io.sluice.broker.ca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.Vertx;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.PfxOptions;
import io.vertx.core.net.TrustOptions;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real TLS 1.3 handshakes on 127.0.0.1: a Vert.x HTTPS server configured the way the broker is
 * (PEM key and certificate, PEM client CA) and a {@code java.net.http} client presenting a node's
 * PKCS#12 key store, as the gpu-loader does.
 */
class CertificateAuthorityTlsIT {
    private static final char[] PASSWORD = "changeit-in-tests".toCharArray();

    @TempDir
    Path dir;

    private Vertx vertx;

    @BeforeEach
    void startVertx() {
        vertx = Vertx.vertx();
    }

    @AfterEach
    void closeVertx() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @Test
    void nodeOfTheDataSpaceIsServedAndIdentifiedFromItsCertificate() throws Exception {
        CertificateAuthority ca = init(CaAlgorithm.P256);
        CertificateFiles node = ca.issueNode("gpu-07", "eu-central", Duration.ofDays(1)).writeTo(dir.resolve("gpu-07"), PASSWORD);
        int port = start(required(ca));

        HttpResponse<String> response = get(port, clientWith(node.keyStore()));

        String certificateId = NodeCertificates.certificateId(PemFiles.readCertificate(node.certificate()));
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("gpu-07 eu-central " + certificateId);
    }

    @Test
    void certificateOfAnotherCaIsRefusedInTheHandshake() throws Exception {
        CertificateAuthority ca = init(CaAlgorithm.P256);
        CertificateAuthority other = CertificateAuthority.create(CertificateAuthority.DEFAULT_NAME, CaAlgorithm.P256, Duration.ofDays(30));
        CertificateFiles node = other.issueNode("gpu-07", "eu-central", Duration.ofDays(1)).writeTo(dir.resolve("rogue"), PASSWORD);
        int port = start(required(ca));

        try (HttpClient client = clientWith(node.keyStore(), trustStore(ca))) {
            assertThatThrownBy(() -> get(port, client)).isInstanceOf(SSLHandshakeException.class)
                    .hasMessageContaining("Received fatal alert: certificate_unknown");
        }
    }

    @Test
    void expiredCertificateIsRefusedInTheHandshake() throws Exception {
        CertificateAuthority ca = init(CaAlgorithm.P256);
        CertificateFiles node = expiredNode(ca);
        int port = start(required(ca));

        try (HttpClient client = clientWith(node.keyStore())) {
            assertThatThrownBy(() -> get(port, client)).isInstanceOf(SSLHandshakeException.class)
                    .hasMessageContaining("Received fatal alert: certificate_unknown");
        }
    }

    @Test
    void clientWithoutCertificateIsRefusedInTheHandshake() throws Exception {
        CertificateAuthority ca = init(CaAlgorithm.P256);
        int port = start(required(ca));

        try (HttpClient client = clientWithoutCertificate(ca)) {
            assertThatThrownBy(() -> get(port, client)).isInstanceOf(SSLHandshakeException.class)
                    .hasMessageContaining("Received fatal alert: certificate_required");
        }
    }

    @Test
    void withTheDeferringTrustManagerEveryRefusalReachesTheBrokerWithItsReason() throws Exception {
        CertificateAuthority ca = init(CaAlgorithm.P256);
        CertificateAuthority other = CertificateAuthority.create(CertificateAuthority.DEFAULT_NAME, CaAlgorithm.P256, Duration.ofDays(30));
        CertificateFiles good = ca.issueNode("gpu-07", "eu-central", Duration.ofDays(1)).writeTo(dir.resolve("good"), PASSWORD);
        CertificateFiles rogue = other.issueNode("gpu-07", "eu-central", Duration.ofDays(1)).writeTo(dir.resolve("rogue"), PASSWORD);
        CertificateFiles expired = expiredNode(ca);
        CertificateFiles server = serverFiles(ca);
        NodeCertificateValidator validator = NodeCertificateValidator.fromPem(caCertificate());
        int port = start(new HttpServerOptions().setSsl(true)
                .setKeyCertOptions(new PemKeyCertOptions().setCertPath(server.certificate().toString()).setKeyPath(server.privateKey().toString()))
                .setClientAuth(ClientAuth.REQUEST)
                .setTrustOptions(TrustOptions.wrap(validator.deferringClientTrustManager())));

        assertThat(get(port, clientWith(good.keyStore())).statusCode()).isEqualTo(200);
        HttpResponse<String> fromRogue = get(port, clientWith(rogue.keyStore(), trustStore(ca)));
        assertThat(fromRogue.statusCode()).isEqualTo(403);
        assertThat(fromRogue.body()).isEqualTo("UNKNOWN_CA: node certificate CN=gpu-07 was not issued by this data space's CA"
                + " (its issuer: CN=Sluice data space CA; trusted: CN=Sluice data space CA)");
        HttpResponse<String> fromExpired = get(port, clientWith(expired.keyStore()));
        assertThat(fromExpired.statusCode()).isEqualTo(403);
        assertThat(fromExpired.body()).isEqualTo("EXPIRED: node certificate CN=gpu-07 expired at "
                + PemFiles.readCertificate(expired.certificate()).getNotAfter().toInstant());
        HttpResponse<String> withoutCertificate = get(port, clientWithoutCertificate(ca));
        assertThat(withoutCertificate.statusCode()).isEqualTo(403);
        assertThat(withoutCertificate.body()).isEqualTo("NO_CERTIFICATE: no client certificate presented");
    }

    @Test
    void ed25519WorksBetweenJdksWhenTheBrokerLoadsItsKeyFromTheKeyStore() throws Exception {
        CertificateAuthority ca = init(CaAlgorithm.ED25519);
        CertificateFiles node = ca.issueNode("gpu-07", "eu-central", Duration.ofDays(1)).writeTo(dir.resolve("gpu-07"), PASSWORD);
        CertificateFiles server = serverFiles(ca);
        int port = start(new HttpServerOptions().setSsl(true)
                .setKeyCertOptions(new PfxOptions().setPath(server.keyStore().toString()).setPassword(new String(PASSWORD)))
                .setClientAuth(ClientAuth.REQUIRED)
                .setTrustOptions(new PemTrustOptions().addCertPath(caCertificate().toString())));

        HttpResponse<String> response = get(port, clientWith(node.keyStore()));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).startsWith("gpu-07 eu-central ");
    }

    @Test
    void vertxCannotReadAnEd25519KeyFromPemWhichIsWhyP256IsTheDefault() throws Exception {
        CertificateAuthority ca = init(CaAlgorithm.ED25519);

        assertThatThrownBy(() -> start(required(ca))).isInstanceOf(ExecutionException.class)
                .cause().hasMessage("Unsupported algorithm identifier");
    }

    private CertificateAuthority init(CaAlgorithm algorithm) throws IOException {
        return CertificateAuthority.init(dir.resolve("ca"), CertificateAuthority.DEFAULT_NAME, algorithm, Duration.ofDays(30));
    }

    private Path caCertificate() {
        return dir.resolve("ca").resolve(CertificateAuthority.CERTIFICATE_FILE);
    }

    private CertificateFiles serverFiles(CertificateAuthority ca) throws IOException {
        return ca.issueServer(List.of("127.0.0.1", "localhost"), Duration.ofDays(1)).writeTo(dir.resolve("server"), PASSWORD);
    }

    private CertificateFiles expiredNode(CertificateAuthority ca) throws IOException {
        Instant now = Instant.now();
        return ca.issueNode("gpu-07", "eu-central", now.minus(Duration.ofDays(10)), now.minus(Duration.ofDays(1)))
                .writeTo(dir.resolve("expired"), PASSWORD);
    }

    /** The broker's configuration: PEM key and certificate, PEM client CA, a node certificate required. */
    private HttpServerOptions required(CertificateAuthority ca) throws IOException {
        CertificateFiles server = serverFiles(ca);
        return new HttpServerOptions().setSsl(true)
                .setKeyCertOptions(new PemKeyCertOptions().setCertPath(server.certificate().toString()).setKeyPath(server.privateKey().toString()))
                .setClientAuth(ClientAuth.REQUIRED)
                .setTrustOptions(new PemTrustOptions().addCertPath(caCertificate().toString()));
    }

    /** Starts a server on 127.0.0.1 that answers "nodeId region certificateId", or 403 "REASON: message". */
    private int start(HttpServerOptions options) throws Exception {
        NodeCertificateValidator validator = NodeCertificateValidator.fromPem(caCertificate());
        HttpServer server = vertx.createHttpServer(options.setHost("127.0.0.1").setPort(0))
                .requestHandler(request -> answer(request, validator));
        return server.listen().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS).actualPort();
    }

    private static void answer(HttpServerRequest request, NodeCertificateValidator validator) {
        List<Certificate> presented;
        try {
            presented = request.connection().peerCertificates();
        } catch (SSLPeerUnverifiedException e) {
            presented = List.of();
        }
        switch (validator.validate(presented == null ? List.of() : presented)) {
            case NodeValidation.Accepted accepted -> request.response()
                    .end(accepted.node().nodeId() + " " + accepted.node().region() + " " + accepted.node().certificateId());
            case NodeValidation.Refused refused -> request.response().setStatusCode(403)
                    .end(refused.reason() + ": " + refused.message());
        }
    }

    private static HttpResponse<String> get(int port, HttpClient client) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + "/whoami"))
                .timeout(Duration.ofSeconds(10)).build();
        return client.send(request, HttpResponse.BodyHandlers.ofString());
    }

    /** A client as the gpu-loader builds it: the node's .p12 as key store and as trust store (it holds the CA). */
    private static HttpClient clientWith(Path keyStore) throws Exception {
        return clientWith(keyStore, KeyStore.getInstance(keyStore.toFile(), PASSWORD));
    }

    private static HttpClient clientWith(Path keyStore, KeyStore trusted) throws Exception {
        KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(KeyStore.getInstance(keyStore.toFile(), PASSWORD), PASSWORD);
        return client(keys, trusted);
    }

    private HttpClient clientWithoutCertificate(CertificateAuthority ca) throws Exception {
        return client(null, trustStore(ca));
    }

    /** A trust store holding only the data space's CA, read from ca.crt. */
    private KeyStore trustStore(CertificateAuthority ca) throws Exception {
        KeyStore trusted = KeyStore.getInstance("PKCS12");
        trusted.load(null, null);
        trusted.setCertificateEntry("ca", PemFiles.readCertificate(caCertificate()));
        assertThat(trusted.getCertificate("ca")).isEqualTo(ca.certificate());
        return trusted;
    }

    private static HttpClient client(KeyManagerFactory keys, KeyStore trusted) throws Exception {
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(trusted);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(keys == null ? null : keys.getKeyManagers(), trust.getTrustManagers(), null);
        return HttpClient.newBuilder().sslContext(context).version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build();
    }
}
