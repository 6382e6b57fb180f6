package io.sluice.examples;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * A small client of the broker's JSON API, as a data owner's or compliance officer's script would
 * write it: plain HTTP, the contract's paths and fields, nothing from the broker's code.
 */
public final class BrokerClient {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A response: status and parsed JSON body. */
    public record Response(int status, JsonNode body) {
        public boolean ok() {
            return status >= 200 && status < 300;
        }

        /** The body, or an exception naming the status and the broker's message. */
        public JsonNode orThrow() {
            if (!ok()) {
                throw new IllegalStateException("broker answered " + status + ": " + body);
            }
            return body;
        }
    }

    private final URI broker;
    private final HttpClient http;

    public BrokerClient(URI broker) {
        this.broker = requireNonNull(broker, "broker is null");
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    }

    /** A client of an HTTPS broker, with this TLS context (e.g. a node's certificate and the data space CA). */
    public BrokerClient(URI broker, javax.net.ssl.SSLContext tls) {
        this.broker = requireNonNull(broker, "broker is null");
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).sslContext(tls).build();
    }

    /** Mints a token from the broker's development issuer. */
    public String devToken(String subject, String organisation, List<String> roles) {
        ObjectNode body = JSON.createObjectNode().put("subject", subject).put("organisation", organisation);
        roles.forEach(body.putArray("roles")::add);
        return post("/v1/dev/token", Optional.empty(), body).orThrow().path("token").asText();
    }

    public Response post(String path, Optional<String> token, JsonNode body) {
        return send(request(path, token)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString())));
    }

    public Response put(String path, Optional<String> token, JsonNode body) {
        return send(request(path, token)
                .header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(body.toString())));
    }

    public Response postRaw(String path, Optional<String> token, String body) {
        return send(request(path, token)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    public Response get(String path, Optional<String> token) {
        return send(request(path, token).GET());
    }

    /** A GET whose body is text (a signed note, a key); throws unless 200. */
    public String getText(String path, Optional<String> token) {
        try {
            HttpResponse<String> response = http.send(request(path, token).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new IllegalStateException("broker answered " + response.statusCode() + ": " + response.body());
            }
            return response.body();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot reach the broker at " + broker + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while calling " + broker, e);
        }
    }

    public Response get(String path, Optional<String> token, Map<String, String> query) {
        String encoded = query.entrySet().stream()
                .map(e -> e.getKey() + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
        return get(encoded.isEmpty() ? path : path + "?" + encoded, token);
    }

    public static ObjectMapper json() {
        return JSON;
    }

    private HttpRequest.Builder request(String path, Optional<String> token) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(broker.resolve(path)).timeout(Duration.ofMinutes(2));
        token.ifPresent(t -> builder.header("Authorization", "Bearer " + t));
        return builder;
    }

    private Response send(HttpRequest.Builder request) {
        try {
            HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            String text = response.body();
            JsonNode body = text == null || text.isBlank() ? JSON.nullNode() : JSON.readTree(text);
            return new Response(response.statusCode(), body);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot reach the broker at " + broker + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while calling " + broker, e);
        }
    }
}
