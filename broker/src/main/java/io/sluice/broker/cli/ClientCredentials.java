package io.sluice.broker.cli;

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
import java.time.Duration;
import java.time.Instant;

/**
 * The CLI's tokens from a Keycloak realm (client-credentials grant), renewed shortly before they
 * expire so that a long verification keeps working. The secret is never printed.
 */
final class ClientCredentials {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final URI tokenEndpoint;
    private final String clientId;
    private final String clientSecret;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private String token;
    private Instant renewAt = Instant.EPOCH;

    ClientCredentials(URI issuer, String clientId, String clientSecret) {
        this.tokenEndpoint = URI.create(requireNonNull(issuer, "issuer is null").toString().replaceAll("/+$", "")
                + "/protocol/openid-connect/token");
        this.clientId = requireNonNull(clientId, "clientId is null");
        this.clientSecret = requireNonNull(clientSecret, "clientSecret is null");
    }

    synchronized String token() {
        if (token != null && Instant.now().isBefore(renewAt)) {
            return token;
        }
        String form = "grant_type=client_credentials&client_id=" + URLEncoder.encode(clientId, StandardCharsets.UTF_8)
                + "&client_secret=" + URLEncoder.encode(clientSecret, StandardCharsets.UTF_8);
        try {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(tokenEndpoint)
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.ofString());
            JsonNode body = JSON.readTree(response.body());
            if (response.statusCode() != 200 || !body.hasNonNull("access_token")) {
                throw new CliException(tokenEndpoint + " refused client '" + clientId + "': " + response.statusCode() + " "
                        + body.path("error_description").asText(body.path("error").asText("")));
            }
            renewAt = Instant.now().plusMillis(Math.max(1, body.path("expires_in").asLong(60)) * 800);
            token = body.get("access_token").asText();
            return token;
        } catch (IOException e) {
            throw new CliException("cannot reach " + tokenEndpoint + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException("interrupted");
        }
    }
}
