package io.sluice.loader;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

import io.sluice.loader.internal.BrokerError;

/**
 * Fetches a grant's training receipt ({@code GET /v1/grants/{id}/receipt}) with the loader's HTTP
 * client (its node certificate for {@code https}), from the first of the loader's brokers that
 * answers: they share one store and one log, so any of them has the receipt.
 */
final class ReceiptClient {
    private final HttpClient client;
    private final List<URI> brokers;
    private final Duration timeout;

    ReceiptClient(HttpClient client, List<URI> brokers, Duration timeout) {
        this.client = Objects.requireNonNull(client, "client is null");
        this.brokers = List.copyOf(Objects.requireNonNull(brokers, "brokers is null"));
        this.timeout = Objects.requireNonNull(timeout, "timeout is null");
    }

    GrantReceipt fetch(String grantId, Supplier<String> bearerToken) {
        Objects.requireNonNull(grantId, "grantId is null");
        Objects.requireNonNull(bearerToken, "bearerToken is null");
        LoaderException unreachable = null;
        for (URI broker : brokers) {
            String base = broker.toString().replaceAll("/+$", "");
            URI uri = URI.create(base + "/v1/grants/" + URLEncoder.encode(grantId, StandardCharsets.UTF_8).replace("+", "%20")
                    + "/receipt");
            HttpResponse<byte[]> response;
            try {
                response = client.send(HttpRequest.newBuilder(uri).GET().timeout(timeout)
                        .header("Authorization", "Bearer " + bearerToken.get())
                        .header("Accept", "application/json").build(), HttpResponse.BodyHandlers.ofByteArray());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new LoaderException(LoaderErrorCode.INTERRUPTED, "interrupted while fetching the receipt of grant "
                        + grantId + " from " + broker, e);
            } catch (IOException e) {
                unreachable = new LoaderException(LoaderErrorCode.BROKER_UNREACHABLE, "cannot reach the broker at "
                        + broker + " (GET " + uri + "): " + Objects.requireNonNullElse(e.getMessage(),
                        e.getClass().getSimpleName()), e);
                continue;
            }
            if (response.statusCode() != 200) {
                Optional<BrokerError> error = BrokerError.parse(response.body());
                if (error.isEmpty()) {
                    throw new LoaderException(LoaderErrorCode.UNEXPECTED_RESPONSE, response.statusCode(), "broker answered GET "
                            + uri + " with HTTP " + response.statusCode() + ": " + BrokerError.excerpt(response.body()), null);
                }
                throw new LoaderException(response.statusCode(), error.get(), "broker refused the receipt of grant " + grantId
                        + ": HTTP " + response.statusCode() + " " + error.get().error() + ": " + error.get().message());
            }
            try {
                return GrantReceipt.parse(response.body());
            } catch (IllegalArgumentException e) {
                throw new LoaderException(LoaderErrorCode.UNEXPECTED_RESPONSE, 200, "broker answered GET " + uri
                        + " with something other than a receipt: " + e.getMessage(), e);
            }
        }
        throw Objects.requireNonNull(unreachable);
    }
}
