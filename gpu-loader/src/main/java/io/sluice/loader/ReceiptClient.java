package io.sluice.loader;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ReadableByteChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

import io.sluice.loader.internal.BrokerError;
import io.sluice.loader.internal.BodyBytes;
import io.sluice.loader.internal.TimedBodyChannel;

/**
 * Fetches a grant's training receipt ({@code GET /v1/grants/{id}/receipt}) with the loader's HTTP
 * client (its node certificate for {@code https}), from the first of the loader's brokers that
 * answers: they share one store and one log, so any of them has the receipt. Each read waits at
 * most the loader's read timeout, and a receipt longer than {@link #MAX_RECEIPT_BYTES} is refused.
 */
final class ReceiptClient {
    /**
     * The largest receipt read: a cap against a body without end, not an expected size. A record
     * with its inclusion proof is about 2.5 KB, so this holds some 100,000 records (a grant read
     * by 256 ranks for 200 epochs); the whole body and its JSON tree are held on the heap.
     */
    static final int MAX_RECEIPT_BYTES = 256 << 20;

    private final HttpClient client;
    private final List<URI> brokers;
    private final Duration timeout;
    private final int maxBytes;

    /**
     * @param timeout the read timeout: how long the broker may take to start answering, and then
     *     each read of the body to bring the next bytes
     */
    ReceiptClient(HttpClient client, List<URI> brokers, Duration timeout) {
        this(client, brokers, timeout, MAX_RECEIPT_BYTES);
    }

    ReceiptClient(HttpClient client, List<URI> brokers, Duration timeout, int maxBytes) {
        this.client = Objects.requireNonNull(client, "client is null");
        this.brokers = List.copyOf(Objects.requireNonNull(brokers, "brokers is null"));
        this.timeout = Objects.requireNonNull(timeout, "timeout is null");
        if (maxBytes < 1) {
            throw new IllegalArgumentException("maxBytes must be >= 1, was " + maxBytes);
        }
        this.maxBytes = maxBytes;
    }

    GrantReceipt fetch(String grantId, Supplier<String> bearerToken) {
        Objects.requireNonNull(grantId, "grantId is null");
        Objects.requireNonNull(bearerToken, "bearerToken is null");
        LoaderException unreachable = null;
        for (URI broker : brokers) {
            String base = broker.toString().replaceAll("/+$", "");
            URI uri = URI.create(base + "/v1/grants/" + URLEncoder.encode(grantId, StandardCharsets.UTF_8).replace("+", "%20")
                    + "/receipt");
            int status;
            Optional<byte[]> body;
            // HttpRequest.timeout bounds the wait for the head only: TimedBodyChannel bounds each read of the body.
            try {
                HttpResponse<ReadableByteChannel> response = TimedBodyChannel.send(client,
                        HttpRequest.newBuilder(uri).GET().timeout(timeout)
                                .header("Authorization", "Bearer " + bearerToken.get())
                                .header("Accept", "application/json").build());
                status = response.statusCode();
                try (ReadableByteChannel in = response.body()) {
                    body = status == 200 ? BodyBytes.whole(in, maxBytes)
                            : Optional.of(BodyBytes.upTo(in, BrokerError.MAX_BODY_BYTES));
                }
            } catch (InterruptedException | ClosedByInterruptException e) {
                Thread.currentThread().interrupt();
                throw new LoaderException(LoaderErrorCode.INTERRUPTED, "interrupted while fetching the receipt of grant "
                        + grantId + " from " + broker, e);
            } catch (IOException e) {
                unreachable = new LoaderException(LoaderErrorCode.BROKER_UNREACHABLE, "cannot reach the broker at "
                        + broker + " (GET " + uri + "): " + Objects.requireNonNullElse(e.getMessage(),
                        e.getClass().getSimpleName()), e);
                continue;
            }
            if (status != 200) {
                byte[] bytes = body.orElseThrow();
                Optional<BrokerError> error = BrokerError.parse(bytes);
                if (error.isEmpty()) {
                    throw new LoaderException(LoaderErrorCode.UNEXPECTED_RESPONSE, status, "broker answered GET "
                            + uri + " with HTTP " + status + ": " + BrokerError.excerpt(bytes), null);
                }
                throw new LoaderException(status, error.get(), "broker refused the receipt of grant " + grantId
                        + ": HTTP " + status + " " + error.get().error() + ": " + error.get().message());
            }
            if (body.isEmpty()) {
                // Every broker of the store would answer the same: no point asking the next.
                throw new LoaderException(LoaderErrorCode.UNEXPECTED_RESPONSE, 200, "broker answered GET " + uri
                        + " with a receipt longer than " + maxBytes + " bytes, the most the loader reads", null);
            }
            try {
                return GrantReceipt.parse(body.get());
            } catch (IllegalArgumentException e) {
                throw new LoaderException(LoaderErrorCode.UNEXPECTED_RESPONSE, 200, "broker answered GET " + uri
                        + " with something other than a receipt: " + e.getMessage(), e);
            }
        }
        throw Objects.requireNonNull(unreachable);
    }
}
