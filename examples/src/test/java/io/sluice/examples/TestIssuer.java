package io.sluice.examples;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

/**
 * A stand-in OIDC issuer on 127.0.0.1 for tests that run several brokers: the discovery document
 * and the key set a Keycloak realm serves, and RS256 tokens shaped like Keycloak's
 * ({@code realm_access.roles}, an {@code organisation} claim, audience {@code sluice}). Brokers
 * started with {@code --oidc-issuer} {@link #issuer()} all accept the same token, as brokers of one
 * data space do (each broker's development issuer has a key of its own).
 */
final class TestIssuer implements AutoCloseable {
    private static final String KEY_ID = "test-key";
    private static final Duration LIFETIME = Duration.ofHours(1);

    private final HttpServer server;
    private final KeyPair keys;
    private final URI issuer;

    private TestIssuer(HttpServer server, KeyPair keys) {
        this.server = server;
        this.keys = keys;
        this.issuer = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/realms/test");
    }

    static TestIssuer start() throws IOException, GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        TestIssuer issuer = new TestIssuer(server, generator.generateKeyPair());
        server.createContext("/realms/test/.well-known/openid-configuration", exchange -> issuer.answer(exchange,
                BrokerClient.json().createObjectNode().put("issuer", issuer.issuer.toString())
                        .put("jwks_uri", issuer.issuer + "/protocol/openid-connect/certs")));
        server.createContext("/realms/test/protocol/openid-connect/certs", exchange -> issuer.answer(exchange, issuer.jwks()));
        server.start();
        return issuer;
    }

    /** The realm URL to give brokers as {@code --oidc-issuer}. */
    URI issuer() {
        return issuer;
    }

    /** A token for {@code subject} of {@code organisation} with these realm roles, valid for an hour. */
    String token(String subject, String organisation, List<String> roles) {
        Instant now = Instant.now();
        ObjectNode claims = BrokerClient.json().createObjectNode()
                .put("iss", issuer.toString())
                .put("sub", subject)
                .put("aud", "sluice")
                .put("azp", "test-client")
                .put("iat", now.getEpochSecond())
                .put("exp", now.plus(LIFETIME).getEpochSecond())
                .put("organisation", organisation);
        claims.putObject("realm_access").putPOJO("roles", roles);
        ObjectNode header = BrokerClient.json().createObjectNode().put("alg", "RS256").put("typ", "JWT").put("kid", KEY_ID);
        String signed = base64Url(header.toString().getBytes(StandardCharsets.UTF_8)) + "."
                + base64Url(claims.toString().getBytes(StandardCharsets.UTF_8));
        try {
            Signature rsa = Signature.getInstance("SHA256withRSA");
            rsa.initSign(keys.getPrivate());
            rsa.update(signed.getBytes(StandardCharsets.US_ASCII));
            return signed + "." + base64Url(rsa.sign());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot sign a test token", e);
        }
    }

    private ObjectNode jwks() {
        RSAPublicKey key = (RSAPublicKey) keys.getPublic();
        ObjectNode jwks = BrokerClient.json().createObjectNode();
        jwks.putArray("keys").addObject().put("kty", "RSA").put("use", "sig").put("alg", "RS256").put("kid", KEY_ID)
                .put("n", base64Url(unsigned(key.getModulus()))).put("e", base64Url(unsigned(key.getPublicExponent())));
        return jwks;
    }

    private void answer(HttpExchange exchange, ObjectNode body) throws IOException {
        byte[] bytes = body.toString().getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(200, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static byte[] unsigned(BigInteger value) {
        byte[] bytes = value.toByteArray();
        return bytes.length > 1 && bytes[0] == 0 ? Arrays.copyOfRange(bytes, 1, bytes.length) : bytes;
    }

    private static String base64Url(byte[] bytes) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
