package io.sluice.loader;

import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import java.util.function.Supplier;

import io.sluice.loader.internal.BrokerError;
import io.sluice.loader.internal.CudaDriverProbe;
import io.sluice.loader.internal.MeteredInputStream;
import io.sluice.loader.internal.PinnedMemory;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client a training node uses to stream granted data from a Sluice broker into pinned host
 * memory (and, in a later version, onto the GPU).
 *
 * <p>It speaks only the broker's wire protocol: {@code GET /v1/grants/{id}/stream} with a bearer
 * token, answered by an Arrow IPC stream. Every buffer it decodes comes from one Arrow
 * {@link RootAllocator} whose memory is page-locked host memory ({@code mmap} + {@code mlock});
 * where the operating system refuses to lock it, one warning is logged and batches arrive in
 * ordinary memory with {@link HostBatch#pinned()} {@code false}.
 *
 * <p>GPU: {@link #create} probes for the CUDA driver ({@code libcuda.so.1}) once. Copies onto the
 * device are not implemented yet: with or without a driver the loader delivers pinned host
 * batches, and {@link #gpuAvailable()} only says whether the driver could be loaded.
 *
 * <p><b>Lifecycle:</b> create one loader per process (it holds the pinned memory pool and an HTTP
 * client), open any number of streams, close it last. {@link #close()} checks that every
 * {@link GrantStream} and {@link HostBatch} it delivered was closed, and throws
 * {@link IllegalStateException} naming the leak otherwise.
 *
 * <p><b>Ownership:</b> the caller owns the loader and every stream and batch it returns, and must
 * close each of them.
 *
 * <p><b>Threading:</b> the loader is thread-safe: several threads may open streams at once. Each
 * {@link GrantStream} is read by one thread.
 */
public final class GpuLoader implements AutoCloseable {

    /** The media type of the stream body. */
    public static final String ARROW_STREAM_MEDIA_TYPE = "application/vnd.apache.arrow.stream";

    /** The response header naming the stream. */
    public static final String STREAM_ID_HEADER = "Sluice-Stream-Id";

    private static final Logger LOG = LoggerFactory.getLogger(GpuLoader.class);

    private final LoaderConfig config;
    private final PinnedMemory memory;
    private final RootAllocator allocator;
    private final HttpClient http;
    private final boolean gpuAvailable;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Set<GrantStream> openStreams = ConcurrentHashMap.newKeySet();

    private GpuLoader(LoaderConfig config, PinnedMemory memory, RootAllocator allocator, HttpClient http,
            boolean gpuAvailable) {
        this.config = config;
        this.memory = memory;
        this.allocator = allocator;
        this.http = http;
        this.gpuAvailable = gpuAvailable;
    }

    /**
     * Creates the loader: one root allocator over pinned host memory, limited to
     * {@link LoaderConfig#pinnedLimitBytes()}, an HTTP/1.1 client, and a probe of the CUDA driver.
     * The caller owns the loader and must close it.
     */
    public static GpuLoader create(LoaderConfig config) {
        Objects.requireNonNull(config, "config is null");
        PinnedMemory memory = PinnedMemory.create();
        RootAllocator allocator = memory.newRootAllocator(config.pinnedLimitBytes());
        try {
            boolean gpu = CudaDriverProbe.driverPresent();
            HttpClient http = HttpClient.newBuilder()
                    .version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(config.connectTimeout())
                    .followRedirects(HttpClient.Redirect.NEVER)
                    .build();
            LOG.info("gpu-loader for broker {}: pinned limit {} bytes, page size {}, CUDA driver {}",
                    config.broker(), config.pinnedLimitBytes(), memory.pageSize(), gpu ? "present" : "absent");
            return new GpuLoader(config, memory, allocator, http, gpu);
        } catch (RuntimeException e) {
            allocator.close();
            throw e;
        }
    }

    /**
     * Requests shard {@code request} of grant {@code grantId} and reads the stream's schema.
     * Blocks until the broker answered and the schema arrived.
     *
     * @param bearerToken called once per request for the current access token (so that a refreshed
     *     token is used); never logged
     * @return the stream, which the caller owns and must close
     * @throws LoaderException when the broker cannot be reached, refuses (its status, error and
     *     reasons are in the exception), or answers something that is not an Arrow stream
     * @throws IllegalStateException when the loader is closed
     */
    public GrantStream open(String grantId, StreamRequest request, Supplier<String> bearerToken) {
        Objects.requireNonNull(grantId, "grantId is null");
        Objects.requireNonNull(request, "request is null");
        Objects.requireNonNull(bearerToken, "bearerToken is null");
        if (grantId.isBlank()) {
            throw new IllegalArgumentException("grantId must not be blank");
        }
        if (closed.get()) {
            throw new IllegalStateException("GpuLoader for " + config.broker() + " is closed");
        }
        String token = bearerToken.get();
        if (token == null || token.isBlank()) {
            throw new IllegalArgumentException("bearerToken must supply a non-blank token");
        }

        URI uri = streamUri(grantId, request);
        HttpRequest httpRequest = HttpRequest.newBuilder(uri)
                .GET()
                .header("Authorization", "Bearer " + token)
                .header("Accept", ARROW_STREAM_MEDIA_TYPE + ", application/json")
                .build();
        HttpResponse<InputStream> response = send(httpRequest);
        int status = response.statusCode();
        if (status != 200) {
            throw refused(uri, grantId, status, response.body());
        }

        String contentType = response.headers().firstValue("Content-Type").orElse("none");
        if (!mediaType(contentType).equals(ARROW_STREAM_MEDIA_TYPE)) {
            closeBody(response.body());
            throw new LoaderException(LoaderErrorCode.UNEXPECTED_RESPONSE, status, "broker answered GET " + uri
                    + " with Content-Type " + contentType + ", expected " + ARROW_STREAM_MEDIA_TYPE, null);
        }
        Optional<String> streamId = response.headers().firstValue(STREAM_ID_HEADER).filter(id -> !id.isBlank());
        if (streamId.isEmpty()) {
            closeBody(response.body());
            throw new LoaderException(LoaderErrorCode.UNEXPECTED_RESPONSE, status, "broker answered GET " + uri
                    + " without a " + STREAM_ID_HEADER + " header", null);
        }

        MeteredInputStream body = new MeteredInputStream(response.body());
        BufferAllocator streamAllocator;
        try {
            streamAllocator = allocator.newChildAllocator(
                    "stream:" + grantId + ":" + streamId.get(), 0, config.pinnedLimitBytes());
        } catch (RuntimeException e) {
            closeBody(body);
            throw e;
        }
        AtomicReference<GrantStream> opened = new AtomicReference<>();
        GrantStream stream = GrantStream.start(grantId, streamId.get(), uri.toString(), allocator, streamAllocator, body,
                () -> openStreams.remove(opened.get()));
        opened.set(stream);
        openStreams.add(stream);
        LOG.info("opened stream {} of grant {} (shard {} of {}, epoch {})", streamId.get(), grantId,
                request.shard(), request.shards(), request.epoch());
        return stream;
    }

    /** Whether the CUDA driver ({@code libcuda.so.1}) could be loaded. Batches are host batches either way. */
    public boolean gpuAvailable() {
        return gpuAvailable;
    }

    /** Bytes of page-locked host memory held now by open streams and batches. */
    public long pinnedBytesInUse() {
        return memory.pinnedBytes();
    }

    /** Bytes of host memory held now by open streams and batches, locked or not. */
    public long allocatedBytes() {
        return allocator.getAllocatedMemory();
    }

    public LoaderConfig config() {
        return config;
    }

    /**
     * Releases the pinned memory pool and the HTTP client. Idempotent.
     *
     * @throws IllegalStateException when a stream or batch it delivered is still open (Arrow's leak
     *     check); the loader is closed nonetheless
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        String streams = openStreams.stream()
                .map(stream -> stream.streamId() + " (grant " + stream.grantId() + ")")
                .sorted()
                .collect(Collectors.joining(", "));
        try {
            allocator.close();
        } catch (IllegalStateException e) {
            throw new IllegalStateException("GpuLoader closed while streams or batches it delivered are still open "
                    + "(the caller owns each and must close it): "
                    + (streams.isEmpty() ? "" : "streams " + streams + "; ") + e.getMessage(), e);
        } finally {
            http.shutdownNow();
        }
        if (!streams.isEmpty()) {
            throw new IllegalStateException("GpuLoader closed while streams it delivered are still open "
                    + "(the caller owns each and must close it): streams " + streams);
        }
    }

    private HttpResponse<InputStream> send(HttpRequest request) {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofInputStream());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LoaderException(LoaderErrorCode.INTERRUPTED, "interrupted while waiting for the broker at "
                    + config.broker() + " to answer GET " + request.uri(), e);
        } catch (IOException e) {
            String reason = switch (e) {
                case HttpConnectTimeoutException _ -> "no connection within " + config.connectTimeout();
                case ConnectException _ -> "connection refused";
                default -> Objects.requireNonNullElse(e.getMessage(), e.getClass().getSimpleName());
            };
            throw new LoaderException(LoaderErrorCode.BROKER_UNREACHABLE, "cannot reach the broker at "
                    + config.broker() + " (GET " + request.uri() + "): " + reason, e);
        }
    }

    private static LoaderException refused(URI uri, String grantId, int status, InputStream body) {
        byte[] bytes;
        try (InputStream in = body) {
            bytes = in.readNBytes(BrokerError.MAX_BODY_BYTES);
        } catch (IOException e) {
            bytes = new byte[0];
        }
        Optional<BrokerError> error = BrokerError.parse(bytes);
        if (error.isEmpty()) {
            return new LoaderException(LoaderErrorCode.UNEXPECTED_RESPONSE, status, "broker answered GET " + uri
                    + " with HTTP " + status + " and no Sluice error body: " + BrokerError.excerpt(bytes), null);
        }
        BrokerError brokerError = error.get();
        String message = "broker refused stream of grant " + grantId + ": HTTP " + status + " " + brokerError.error()
                + (brokerError.message().isEmpty() ? "" : ": " + brokerError.message())
                + brokerError.requestId().map(id -> " (requestId " + id + ")").orElse("");
        return new LoaderException(status, brokerError, message);
    }

    private URI streamUri(String grantId, StreamRequest request) {
        String base = config.broker().toString();
        while (base.endsWith("/")) {
            base = base.substring(0, base.length() - 1);
        }
        String segment = URLEncoder.encode(grantId, StandardCharsets.UTF_8).replace("+", "%20");
        return URI.create(base + "/v1/grants/" + segment + "/stream?shard=" + request.shard()
                + "&shards=" + request.shards() + "&epoch=" + request.epoch());
    }

    private static String mediaType(String contentType) {
        int semicolon = contentType.indexOf(';');
        return (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).strip().toLowerCase(Locale.ROOT);
    }

    private static void closeBody(InputStream body) {
        try {
            body.close();
        } catch (IOException e) {
            LOG.debug("closing a response body failed", e);
        }
    }
}
