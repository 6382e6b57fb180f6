package io.sluice.broker.cli;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;

/** The CLI's view of a broker: authenticated GETs with errors that name the broker and its answer. */
final class BrokerHttp {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final URI broker;
    private final Supplier<Optional<String>> token;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    BrokerHttp(URI broker, Supplier<Optional<String>> token) {
        this.broker = requireNonNull(broker, "broker is null");
        this.token = requireNonNull(token, "token is null");
    }

    /** The token from {@code --token}, else from the environment variable {@code SLUICE_TOKEN}. */
    static Optional<String> token(String option) {
        if (option != null && !option.isBlank()) {
            return Optional.of(option.trim());
        }
        return Optional.ofNullable(System.getenv("SLUICE_TOKEN")).filter(t -> !t.isBlank()).map(String::trim);
    }

    JsonNode json(String pathAndQuery) {
        String text = text(pathAndQuery);
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new CliException(broker.resolve(pathAndQuery) + " did not answer JSON: " + e.getMessage());
        }
    }

    String text(String pathAndQuery) {
        HttpResponse<InputStream> response = send(pathAndQuery);
        try (InputStream body = response.body()) {
            return new String(body.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new CliException("reading " + broker.resolve(pathAndQuery) + " failed: " + e.getMessage());
        }
    }

    /** The response body as a stream; the caller closes it. */
    InputStream stream(String pathAndQuery) {
        return send(pathAndQuery).body();
    }

    /** A 200 response, for its headers and its body as a stream; the caller closes the body. */
    HttpResponse<InputStream> response(String pathAndQuery) {
        return send(pathAndQuery);
    }

    /** This broker's URL for {@code pathAndQuery}, for messages. */
    URI uri(String pathAndQuery) {
        return broker.resolve(pathAndQuery);
    }

    private HttpResponse<InputStream> send(String pathAndQuery) {
        URI uri = broker.resolve(pathAndQuery);
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofMinutes(10)).GET();
        token.get().ifPresent(t -> request.header("Authorization", "Bearer " + t));
        try {
            HttpResponse<InputStream> response = http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
            if (response.statusCode() != 200) {
                String body;
                try (InputStream in = response.body()) {
                    body = new String(in.readNBytes(4096), StandardCharsets.UTF_8);
                }
                String message = body;
                try {
                    message = JSON.readTree(body).path("message").asText(body);
                } catch (IOException ignored) {
                    // not the broker's JSON error shape: show the text as it came
                }
                throw new CliException(uri + " answered " + response.statusCode() + ": " + message);
            }
            return response;
        } catch (ConnectException e) {
            throw new CliException("cannot reach the broker at " + broker + ": connection refused");
        } catch (IOException e) {
            throw new CliException("request to " + uri + " failed: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException("interrupted");
        }
    }
}
