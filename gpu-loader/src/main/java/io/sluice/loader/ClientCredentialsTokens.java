package io.sluice.loader;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
import java.util.function.Supplier;

/**
 * Bearer tokens for a confidential client, from an OIDC token endpoint (a Keycloak realm's) with
 * the client-credentials grant; a token is reused until shortly before it expires, so a long
 * stream (and a resumed one) always presents a fresh token. Thread-safe.
 *
 * <p>The client secret is never logged and never part of an exception message.
 */
public final class ClientCredentialsTokens implements Supplier<String> {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final URI tokenEndpoint;
    private final String clientId;
    private final String clientSecret;
    private final HttpClient http;
    private final Clock clock;
    private String token;
    private Instant renewAt = Instant.EPOCH;

    /**
     * @param issuer the realm URL, e.g. {@code http://127.0.0.1:8080/realms/dataspace}; the token
     *     endpoint is Keycloak's {@code /protocol/openid-connect/token} under it
     */
    public static ClientCredentialsTokens forKeycloakRealm(URI issuer, String clientId, String clientSecret) {
        String base = issuer.toString().replaceAll("/+$", "");
        return new ClientCredentialsTokens(URI.create(base + "/protocol/openid-connect/token"), clientId, clientSecret,
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build(), Clock.systemUTC());
    }

    public ClientCredentialsTokens(URI tokenEndpoint, String clientId, String clientSecret, HttpClient http, Clock clock) {
        this.tokenEndpoint = requireNonNull(tokenEndpoint, "tokenEndpoint is null");
        this.clientId = requireNonNull(clientId, "clientId is null");
        this.clientSecret = requireNonNull(clientSecret, "clientSecret is null");
        this.http = requireNonNull(http, "http is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    /** A valid access token, fetched anew when the cached one is about to expire. */
    @Override
    public synchronized String get() {
        if (token == null || !clock.instant().isBefore(renewAt)) {
            fetch();
        }
        return token;
    }

    private void fetch() {
        String form = "grant_type=client_credentials&client_id=" + encode(clientId) + "&client_secret=" + encode(clientSecret);
        HttpRequest request = HttpRequest.newBuilder(tokenEndpoint)
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form))
                .build();
        try {
            HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
            JsonNode body = JSON.readTree(response.body());
            if (response.statusCode() != 200 || !body.hasNonNull("access_token")) {
                throw new LoaderException(LoaderErrorCode.UNEXPECTED_RESPONSE, response.statusCode(),
                        "token endpoint " + tokenEndpoint + " refused client '" + clientId + "': HTTP "
                                + response.statusCode() + " " + body.path("error").asText("") + " "
                                + body.path("error_description").asText(""), null);
            }
            Instant now = clock.instant();
            long lifetime = Math.max(1, body.path("expires_in").asLong(60));
            // Renew at 80 % of the lifetime, so a token never runs out between the check and its use.
            renewAt = now.plusMillis(lifetime * 800);
            token = body.get("access_token").asText();
        } catch (IOException e) {
            throw new LoaderException(LoaderErrorCode.BROKER_UNREACHABLE,
                    "cannot reach the token endpoint " + tokenEndpoint + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LoaderException(LoaderErrorCode.INTERRUPTED, "interrupted while fetching a token", e);
        }
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
