package io.sluice.loader.cli;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.function.Supplier;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Access tokens from an OAuth 2.0 token endpoint (Keycloak's
 * {@code /realms/R/protocol/openid-connect/token}) by the client-credentials grant, fetched on
 * first use and again when less than a quarter of the token's life (at most 60 s) is left, so a
 * long stream reconnects with a fresh token. The secret is sent only to the token endpoint and
 * never logged.
 *
 * <p>Thread-safe.
 */
final class ClientCredentialsToken implements Supplier<String> {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final URI tokenUrl;
    private final String clientId;
    private final String clientSecret;
    private final Clock clock;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private String token;
    private Instant refreshAt = Instant.MIN;

    ClientCredentialsToken(URI tokenUrl, String clientId, String clientSecret, Clock clock) {
        this.tokenUrl = Objects.requireNonNull(tokenUrl, "tokenUrl is null");
        this.clientId = Objects.requireNonNull(clientId, "clientId is null");
        this.clientSecret = Objects.requireNonNull(clientSecret, "clientSecret is null");
        this.clock = Objects.requireNonNull(clock, "clock is null");
    }

    @Override
    public synchronized String get() {
        if (token == null || !clock.instant().isBefore(refreshAt)) {
            fetch();
        }
        return token;
    }

    private void fetch() {
        String form = "grant_type=client_credentials&client_id=" + URLEncoder.encode(clientId, StandardCharsets.UTF_8)
                + "&client_secret=" + URLEncoder.encode(clientSecret, StandardCharsets.UTF_8);
        HttpResponse<String> response;
        try {
            response = http.send(HttpRequest.newBuilder(tokenUrl)
                            .header("Content-Type", "application/x-www-form-urlencoded")
                            .header("Accept", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(form))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException("cannot reach the token endpoint " + tokenUrl + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while asking " + tokenUrl + " for a token", e);
        }
        JsonNode body;
        try {
            body = JSON.readTree(response.body());
        } catch (IOException e) {
            body = JSON.createObjectNode();
        }
        if (response.statusCode() != 200 || !body.path("access_token").isTextual()) {
            String reason = body.path("error").asText("") + (body.has("error_description")
                    ? ": " + body.path("error_description").asText() : "");
            throw new IllegalStateException("the token endpoint " + tokenUrl + " refused client " + clientId + ": HTTP "
                    + response.statusCode() + (reason.isEmpty() ? " without an access_token" : " " + reason));
        }
        token = body.path("access_token").asText();
        long lifetime = body.path("expires_in").asLong(300);
        long early = Math.min(60, Math.max(1, lifetime / 4));
        refreshAt = clock.instant().plusSeconds(Math.max(0, lifetime - early));
    }
}
