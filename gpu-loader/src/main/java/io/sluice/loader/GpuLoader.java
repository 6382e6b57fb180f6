package io.sluice.loader;

import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import java.util.stream.Collectors;

import io.sluice.loader.internal.BrokerError;
import io.sluice.loader.internal.BrokerStreamStatus;
import io.sluice.loader.internal.CudaDevice;
import io.sluice.loader.internal.CudaDriver;
import io.sluice.loader.internal.CudaDriverProbe;
import io.sluice.loader.internal.CudaException;
import io.sluice.loader.internal.MeteredChannel;
import io.sluice.loader.internal.NumaNodes;
import io.sluice.loader.internal.PinnedArena;
import io.sluice.loader.internal.SocketHttpGet;
import io.sluice.loader.internal.BodyBytes;
import io.sluice.loader.internal.TimedBodyChannel;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client a training node uses to stream granted data from a Sluice broker into pinned host
 * memory and onto the GPU.
 *
 * <p>It speaks only the broker's wire protocol: {@code GET /v1/grants/{id}/stream} with a bearer
 * token, answered by an Arrow IPC stream. Every buffer it decodes comes from one Arrow
 * {@link RootAllocator} over a pinned arena: {@link LoaderConfig#slabs()} slabs of
 * {@link LoaderConfig#effectiveSlabBytes()}, mapped, pre-touched in parallel, locked ({@code mlock})
 * and, with a CUDA device, registered with the driver, all once, when the loader is created
 * ({@link #arena()} reports how long that took). Over {@code http} each batch body is read from the
 * socket straight into the arena. Where the operating system refuses to lock the arena, one
 * warning is logged and batches arrive in ordinary memory with {@link HostBatch#pinned()} {@code false}.
 *
 * <p>GPU: {@link #create(LoaderConfig)} looks for the CUDA driver ({@code libcuda.so.1}) and opens
 * device {@link LoaderConfig#deviceOrdinal()} through the driver API. {@link #openTraining} then
 * delivers {@link DeviceBatch}es, copied on a CUDA stream while the next batch is received; without
 * a driver (or with a device that cannot be opened) it delivers pinned {@link HostBatch}es, and the
 * loader says so once when it is created. {@link #create(LoaderConfig, Device)} uses a given
 * device instead, such as the {@link HostMemoryDevice} stand-in.
 *
 * <p><b>Lifecycle:</b> create one loader per process (it holds the pinned arena, the device and an
 * HTTP client), open any number of streams, close it last. {@link #close()} checks that every
 * stream and host batch it delivered was closed, and throws {@link IllegalStateException} naming the
 * leak otherwise. A {@link DeviceBatch} still open then stays valid: its stream's buffer pool holds
 * the device (for CUDA, the retained primary context, which CUDA would otherwise reset and so free
 * the batch's memory), and the batch's own {@code close()} frees its memory and lets the device go.
 *
 * <p><b>Ownership:</b> the caller owns the loader and every stream and batch it returns, and must
 * close each of them. A device passed to {@link #create(LoaderConfig, Device)} stays the caller's.
 *
 * <p><b>Threading:</b> the loader is thread-safe: several threads may open streams at once. Each
 * stream is read by one thread.
 */
public final class GpuLoader implements AutoCloseable {

    /** The media type of the stream body. */
    public static final String ARROW_STREAM_MEDIA_TYPE = "application/vnd.apache.arrow.stream";

    /** The response header naming the stream. */
    public static final String STREAM_ID_HEADER = "Sluice-Stream-Id";

    private static final Logger LOG = LoggerFactory.getLogger(GpuLoader.class);

    private final LoaderConfig config;
    private final PinnedArena arena;
    private final RootAllocator allocator;
    private final Optional<Device> device;
    private final boolean ownsDevice;
    private final AtomicReference<HttpClient> https = new AtomicReference<>();
    /** How long a broken stream waits for the broker to say why it ended. */
    private static final java.time.Duration STATUS_TIMEOUT = java.time.Duration.ofSeconds(5);
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Set<GrantStream> openStreams = ConcurrentHashMap.newKeySet();
    private final Set<TrainingStream> openTrainingStreams = ConcurrentHashMap.newKeySet();

    private GpuLoader(LoaderConfig config, PinnedArena arena, RootAllocator allocator, Optional<Device> device,
            boolean ownsDevice) {
        this.config = config;
        this.arena = arena;
        this.allocator = allocator;
        this.device = device;
        this.ownsDevice = ownsDevice;
    }

    /**
     * Creates the loader: the CUDA device when a driver is present, the pinned arena (registered
     * with the device), one root allocator over it limited to {@link LoaderConfig#pinnedLimitBytes()}.
     * The caller owns the loader and must close it.
     *
     * @throws IllegalArgumentException when {@link LoaderConfig#numaPlacement()} names a NUMA node that is not online
     */
    public static GpuLoader create(LoaderConfig config) {
        Objects.requireNonNull(config, "config is null");
        Optional<Device> cuda = openCuda(config.deviceOrdinal());
        try {
            return create(config, cuda, true);
        } catch (RuntimeException e) {
            cuda.ifPresent(Device::close);
            throw e;
        }
    }

    /**
     * Creates a loader that copies training batches to {@code device} (for example a
     * {@link HostMemoryDevice}) instead of looking for CUDA. The device stays the caller's: close it
     * after the loader.
     */
    public static GpuLoader create(LoaderConfig config, Device device) {
        Objects.requireNonNull(config, "config is null");
        Objects.requireNonNull(device, "device is null");
        return create(config, Optional.of(device), false);
    }

    /**
     * Creates a loader that never uses a device, even where a GPU exists: training streams deliver
     * pinned {@link HostBatch}es. For consumers that train on the CPU or hand batches to another runtime.
     */
    public static GpuLoader createWithoutDevice(LoaderConfig config) {
        Objects.requireNonNull(config, "config is null");
        return create(config, Optional.empty(), false);
    }

    /** A loader that owns {@code device} (closes it when closed), as {@link #create(LoaderConfig)} owns the CUDA device it opens. */
    static GpuLoader createOwning(LoaderConfig config, Device device) {
        try {
            return create(config, Optional.of(device), true);
        } catch (RuntimeException e) {
            device.close();
            throw e;
        }
    }

    /**
     * As {@link #create(LoaderConfig, Device)}, with the NUMA topology read from {@code numa} (a test's
     * sysfs directory) instead of {@code /sys}.
     */
    static GpuLoader create(LoaderConfig config, Device device, NumaNodes numa) {
        return create(config, Optional.of(device), false, numa);
    }

    private static GpuLoader create(LoaderConfig config, Optional<Device> device, boolean ownsDevice) {
        return create(config, device, ownsDevice, NumaNodes.system());
    }

    private static GpuLoader create(LoaderConfig config, Optional<Device> device, boolean ownsDevice, NumaNodes numa) {
        // A given node that is not online fails here, before anything is mapped.
        OptionalInt numaNode = numa.preferredNode(config.numaPlacement(), () -> device.flatMap(Device::pciBusId));
        int slabs = config.slabs();
        int touchThreads = Math.max(1, Math.min(slabs, Runtime.getRuntime().availableProcessors()));
        PinnedArena.HostRegistration registration = device.<PinnedArena.HostRegistration>map(d -> new PinnedArena.HostRegistration() {
            @Override
            public void register(long address, long bytes) {
                d.registerHost(address, bytes);
            }

            @Override
            public void unregister(long address) {
                d.unregisterHost(address);
            }
        }).orElse(null);
        // A refused registration falls back to unregistered memory with one warning (see PinnedArena).
        PinnedArena arena = PinnedArena.create(config.effectiveSlabBytes(), slabs, touchThreads, registration,
                config.transparentHugePages(), numaNode);
        RootAllocator allocator = arena.newRootAllocator(config.pinnedLimitBytes());
        LOG.info("gpu-loader for broker {}: pinned arena of {} bytes ({} slabs) in {} ms, {}, {}; {}", brokerNames(config),
                arena.budgetBytes(), arena.slabs(), arena.creation().elapsed().toMillis(),
                HostMemoryMode.of(arena.locked(), arena.registered()).description(), arena.creation().numa().description(),
                device.map(d -> "training batches are copied to " + d.name())
                        .orElse("no GPU: training streams deliver pinned host batches"));
        return new GpuLoader(config, arena, allocator, device, ownsDevice);
    }

    private static Optional<Device> openCuda(int ordinal) {
        if (!CudaDriverProbe.driverPresent()) {
            return Optional.empty();
        }
        try {
            Optional<CudaDriver> driver = CudaDriver.load(CudaDriverProbe.DRIVER_LIBRARY);
            return driver.map(d -> CudaDevice.open(d, ordinal));
        } catch (CudaException e) {
            LOG.warn("CUDA driver {} found but device {} cannot be used: {}; delivering pinned host batches",
                    CudaDriverProbe.DRIVER_LIBRARY, ordinal, e.getMessage());
            return Optional.empty();
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
        Objects.requireNonNull(request, "request is null");
        return openAt(grantId, Checkpoint.start(request), bearerToken);
    }

    /**
     * Requests the stream at checkpoint {@code at}: its shard and epoch, shuffled by its seed,
     * starting after its {@link Checkpoint#position()} batches, from the broker its shard starts on
     * (shard {@code r} on broker {@code r mod n} of {@link LoaderConfig#brokers()}). One connection,
     * no retry; see {@link #openTraining} for a stream that reconnects, moves to another broker and
     * prefetches.
     *
     * @return the stream, which the caller owns and must close
     * @throws LoaderException as {@link #open}
     */
    public GrantStream openAt(String grantId, Checkpoint at, Supplier<String> bearerToken) {
        Objects.requireNonNull(at, "at is null");
        return openAt(new BrokerRotation(config.brokers(), at.shard()).current(), grantId, at, bearerToken);
    }

    /** {@link #openAt(String, Checkpoint, Supplier)} on the given broker, one of {@link LoaderConfig#brokers()}. */
    GrantStream openAt(URI broker, String grantId, Checkpoint at, Supplier<String> bearerToken) {
        Objects.requireNonNull(broker, "broker is null");
        Objects.requireNonNull(grantId, "grantId is null");
        Objects.requireNonNull(at, "at is null");
        Objects.requireNonNull(bearerToken, "bearerToken is null");
        if (grantId.isBlank()) {
            throw new IllegalArgumentException("grantId must not be blank");
        }
        checkOpen();
        String token = bearerToken.get();
        if (token == null || token.isBlank()) {
            throw new IllegalArgumentException("bearerToken must supply a non-blank token");
        }
        if (token.chars().anyMatch(c -> c < ' ' || c == 0x7F)) {
            // CR or LF would end the Authorization line and inject a header; never show the token itself.
            throw new IllegalArgumentException("bearerToken supplied a token holding CR, LF or another control character "
                    + "(a token file with a line break inside?); nothing was sent");
        }

        URI uri = streamUri(broker, grantId, at);
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Authorization", "Bearer " + token);
        headers.put("Accept", ARROW_STREAM_MEDIA_TYPE + ", application/json");
        headers.put("User-Agent", "sluice-gpu-loader");
        SocketHttpGet.Response response = send(broker, uri, headers);
        int status = response.status();
        if (status != 200) {
            throw refused(uri, grantId, status, response.body());
        }

        String contentType = response.header("Content-Type").orElse("none");
        if (!mediaType(contentType).equals(ARROW_STREAM_MEDIA_TYPE)) {
            closeBody(response.body());
            throw new LoaderException(LoaderErrorCode.UNEXPECTED_RESPONSE, status, "broker answered GET " + uri
                    + " with Content-Type " + contentType + ", expected " + ARROW_STREAM_MEDIA_TYPE, null);
        }
        Optional<String> streamId = response.header(STREAM_ID_HEADER).filter(id -> !id.isBlank());
        if (streamId.isEmpty()) {
            closeBody(response.body());
            throw new LoaderException(LoaderErrorCode.UNEXPECTED_RESPONSE, status, "broker answered GET " + uri
                    + " without a " + STREAM_ID_HEADER + " header", null);
        }

        MeteredChannel body = new MeteredChannel(response.body(), arena, streamId.get(), config.digestBodies());
        BufferAllocator streamAllocator;
        try {
            streamAllocator = allocator.newChildAllocator(
                    "stream:" + grantId + ":" + streamId.get(), 0, config.pinnedLimitBytes());
        } catch (RuntimeException e) {
            closeBody(body);
            throw e;
        }
        AtomicReference<GrantStream> opened = new AtomicReference<>();
        GrantStream stream = GrantStream.start(grantId, streamId.get(), broker, uri.toString(), allocator,
                streamAllocator, body, at.position(), () -> openStreams.remove(opened.get()),
                () -> streamStatus(broker, streamId.get(), bearerToken));
        opened.set(stream);
        openStreams.add(stream);
        LOG.info("opened stream {} of grant {} on {} (shard {} of {}, epoch {}{}{})", streamId.get(), grantId, broker,
                at.shard(), at.shards(), at.epoch(), at.seed().isPresent() ? ", seed " + at.seed().getAsLong() : "",
                at.position() > 0 ? ", from batch " + at.position() : "");
        return stream;
    }

    /**
     * Opens a training stream at {@code start}: batches of its shard and epoch, prefetched
     * {@link LoaderConfig#prefetchDepth()} ahead onto the device (or as pinned host batches without
     * one), reconnecting from the last fully received batch when the connection drops
     * ({@link LoaderConfig#retry()}). Blocks until the first connection answered and the schema
     * arrived.
     *
     * @param start where to begin: {@link Checkpoint#start} for a new epoch, or a checkpoint to resume
     * @param bearerToken called for every (re)connection, so a refreshed token is used; never logged
     * @return the stream, which the caller owns and must close
     * @throws LoaderException when the first connection fails after the allowed retries, or the
     *     broker refuses
     */
    public TrainingStream openTraining(String grantId, Checkpoint start, Supplier<String> bearerToken) {
        Objects.requireNonNull(grantId, "grantId is null");
        Objects.requireNonNull(start, "start is null");
        Objects.requireNonNull(bearerToken, "bearerToken is null");
        checkOpen();
        AtomicReference<TrainingStream> opened = new AtomicReference<>();
        TrainingStream stream = TrainingStream.open(this, grantId, start, bearerToken, device,
                () -> openTrainingStreams.remove(opened.get()));
        opened.set(stream);
        openTrainingStreams.add(stream);
        return stream;
    }

    /**
     * The grant's training receipt ({@code GET /v1/grants/{id}/receipt}) from the first of
     * {@link LoaderConfig#brokers()} that answers: the grant's records with inclusion proofs against
     * a signed checkpoint. Fetch it after the training run's streams ended (a stream's
     * {@code stream.closed} is in the log before its last byte is sent) and compare it with what
     * was received ({@link GrantReceipt#mismatch}); {@code sluice receipt verify} checks its proofs.
     *
     * @throws LoaderException when no broker answers, or one refuses (its status and error are in the exception)
     */
    public GrantReceipt receipt(String grantId, Supplier<String> bearerToken) {
        checkOpen();
        HttpClient client = https.updateAndGet(existing -> existing != null ? existing : httpsClient());
        return new ReceiptClient(client, config.brokers(), config.readTimeout()).fetch(grantId, bearerToken);
    }

    /**
     * Whether training streams copy batches to a GPU: a CUDA driver was found and the device opened.
     * Without one, batches are pinned host batches.
     */
    public boolean gpuAvailable() {
        return device.map(Device::isGpu).orElse(false);
    }

    /** The device training batches are copied to, when there is one. */
    public Optional<Device> device() {
        return device;
    }

    /** The pinned arena: its budget, slabs, and how long making it took. */
    public PinnedArenaInfo arena() {
        PinnedArena.Creation creation = arena.creation();
        return new PinnedArenaInfo(arena.budgetBytes(), arena.slabBytes(), arena.slabs(), creation.elapsed(),
                creation.touchThreads(), creation.locked(), creation.registered(), creation.registrationFailure(),
                creation.hugePages(), creation.numa());
    }

    /** The kind of host memory batches land in: registered with the device, locked, or pageable. */
    public HostMemoryMode hostMemory() {
        return HostMemoryMode.of(arena.locked(), arena.registered());
    }

    /** Bytes of page-locked host memory held now by open streams and batches. */
    public long pinnedBytesInUse() {
        return arena.pinnedBytesInUse();
    }

    /** Bytes of host memory held now by open streams and batches, locked or not. */
    public long allocatedBytes() {
        return allocator.getAllocatedMemory();
    }

    public LoaderConfig config() {
        return config;
    }

    /**
     * Releases the pinned arena, the device (when the loader opened it) and the HTTP client.
     * Idempotent.
     *
     * @throws IllegalStateException when a stream or batch it delivered is still open (Arrow's leak
     *     check); the loader is closed nonetheless, and the arena stays mapped while batches point to it
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        String training = openTrainingStreams.stream()
                .map(stream -> "training stream of grant " + stream.grantId() + " at " + stream.checkpoint().token())
                .sorted()
                .collect(Collectors.joining(", "));
        openTrainingStreams.forEach(TrainingStream::close); // closes the connections they own, too
        String streams = openStreams.stream()
                .map(stream -> stream.streamId() + " (grant " + stream.grantId() + ")")
                .sorted()
                .collect(Collectors.joining(", "));
        try {
            allocator.close();
            arena.close();
        } catch (IllegalStateException e) {
            throw new IllegalStateException("GpuLoader closed while streams or batches it delivered are still open "
                    + "(the caller owns each and must close it): "
                    + (training.isEmpty() ? "" : training + "; ")
                    + (streams.isEmpty() ? "" : "streams " + streams + "; ") + e.getMessage(), e);
        } finally {
            HttpClient client = https.get();
            if (client != null) {
                client.shutdownNow();
            }
            if (ownsDevice) {
                device.ifPresent(Device::close);
            }
        }
        if (!training.isEmpty() || !streams.isEmpty()) {
            throw new IllegalStateException("GpuLoader closed while streams it delivered are still open "
                    + "(the caller owns each and must close it): "
                    + (training.isEmpty() ? "" : training + (streams.isEmpty() ? "" : "; "))
                    + (streams.isEmpty() ? "" : "streams " + streams));
        }
    }

    private void checkOpen() {
        if (closed.get()) {
            throw new IllegalStateException("GpuLoader for " + brokerNames(config) + " is closed");
        }
    }

    /** The https client, presenting the node's certificate when the configuration carries one. */
    private HttpClient httpsClient() {
        HttpClient.Builder builder = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(config.connectTimeout())
                .followRedirects(HttpClient.Redirect.NEVER);
        config.tls().ifPresent(builder::sslContext);
        return builder.build();
    }

    /** The broker's URL, or the brokers' URLs separated by commas. */
    private static String brokerNames(LoaderConfig config) {
        return config.brokers().stream().map(URI::toString).collect(Collectors.joining(", "));
    }

    /** GET over a plain socket for {@code http} (bodies land straight in pinned memory), java.net.http for {@code https}. */
    private SocketHttpGet.Response send(URI broker, URI uri, Map<String, String> headers) {
        try {
            if (uri.getScheme().equalsIgnoreCase("http")) {
                return SocketHttpGet.get(uri, headers, config.connectTimeout(), config.readTimeout());
            }
            return sendHttps(uri, headers);
        } catch (InterruptedException | java.nio.channels.ClosedByInterruptException e) {
            Thread.currentThread().interrupt();
            throw new LoaderException(LoaderErrorCode.INTERRUPTED, "interrupted while waiting for the broker at "
                    + broker + " to answer GET " + uri, e);
        } catch (IOException | UnresolvedAddressException e) {
            String reason = switch (e) {
                case HttpConnectTimeoutException _ -> "no connection within " + config.connectTimeout();
                case SocketHttpGet.ReadTimeoutException timeout -> timeout.getMessage();
                case SocketTimeoutException _ -> "no connection within " + config.connectTimeout();
                case ConnectException _ -> "connection refused";
                case UnknownHostException _ -> "unknown host " + uri.getHost();
                case UnresolvedAddressException _ -> "unknown host " + uri.getHost();
                default -> Objects.requireNonNullElse(e.getMessage(), e.getClass().getSimpleName());
            };
            throw new LoaderException(LoaderErrorCode.BROKER_UNREACHABLE, "cannot reach the broker at "
                    + broker + " (GET " + uri + "): " + reason, e);
        }
    }

    private SocketHttpGet.Response sendHttps(URI uri, Map<String, String> headers) throws IOException, InterruptedException {
        HttpClient client = https.updateAndGet(existing -> existing != null ? existing : httpsClient());
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).GET().timeout(config.readTimeout());
        headers.forEach((name, value) -> {
            if (!name.equalsIgnoreCase("User-Agent")) {
                request.header(name, value);
            }
        });
        // The request's timeout bounds the wait for the head; TimedBodyChannel bounds every read of the body with it.
        HttpResponse<ReadableByteChannel> response = TimedBodyChannel.send(client, request.build());
        Map<String, List<String>> responseHeaders = new LinkedHashMap<>();
        response.headers().map().forEach((name, values) -> responseHeaders.put(name.toLowerCase(Locale.ROOT), values));
        return new SocketHttpGet.Response(response.statusCode(), responseHeaders, response.body());
    }

    private static LoaderException refused(URI uri, String grantId, int status, ReadableByteChannel body) {
        byte[] bytes;
        try (ReadableByteChannel in = body) {
            bytes = BodyBytes.upTo(in, BrokerError.MAX_BODY_BYTES);
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

    /**
     * Asks {@code broker} about stream {@code streamId} ({@code GET /v1/streams/{id}}): silent when
     * no answer came (no connection, nothing within the timeout), answered without a status when it
     * answered something else (refused, not a stream view). Never throws.
     */
    private StatusLookup streamStatus(URI broker, String streamId, Supplier<String> bearerToken) {
        String base = broker.toString();
        while (base.endsWith("/")) {
            base = base.substring(0, base.length() - 1);
        }
        URI uri = URI.create(base + "/v1/streams/" + URLEncoder.encode(streamId, StandardCharsets.UTF_8).replace("+", "%20"));
        // java.net.http for both schemes: unlike the stream's socket client it bounds the wait for the answer.
        HttpClient client = https.updateAndGet(existing -> existing != null ? existing : httpsClient());
        // The timeout bounds the wait for the head and, through TimedBodyChannel, every read of the body:
        // this runs exactly when a broker misbehaves, and must not hang on one that stalls mid-answer.
        try {
            HttpResponse<ReadableByteChannel> response = TimedBodyChannel.send(client, HttpRequest.newBuilder(uri).GET()
                    .timeout(STATUS_TIMEOUT)
                    .header("Authorization", "Bearer " + bearerToken.get())
                    .header("Accept", "application/json").build());
            byte[] body;
            try (ReadableByteChannel in = response.body()) {
                if (response.statusCode() != 200) {
                    LOG.debug("GET {} answered {}; why the stream ended is not known", uri, response.statusCode());
                    return StatusLookup.answered(Optional.empty());
                }
                body = BodyBytes.upTo(in, BrokerError.MAX_BODY_BYTES);
            }
            return StatusLookup.answered(BrokerStreamStatus.parse(body));
        } catch (InterruptedException | java.nio.channels.ClosedByInterruptException e) {
            Thread.currentThread().interrupt();
            return StatusLookup.answered(Optional.empty()); // not the broker's silence: this thread is stopping
        } catch (IOException e) {
            // Refused, timed out, reset before an answer: the broker is likely gone.
            LOG.debug("GET {} got no answer; why the stream ended is not known", uri, e);
            return StatusLookup.silent();
        } catch (RuntimeException e) {
            LOG.debug("GET {} failed; why the stream ended is not known", uri, e);
            return StatusLookup.answered(Optional.empty());
        }
    }

    /**
     * The stream URI: {@code shard}, {@code shards}, {@code epoch}, then {@code seed} when the
     * checkpoint has one and {@code from} when it is past the first batch.
     */
    private URI streamUri(URI broker, String grantId, Checkpoint at) {
        String base = broker.toString();
        while (base.endsWith("/")) {
            base = base.substring(0, base.length() - 1);
        }
        String segment = URLEncoder.encode(grantId, StandardCharsets.UTF_8).replace("+", "%20");
        OptionalLong seed = at.seed();
        return URI.create(base + "/v1/grants/" + segment + "/stream?shard=" + at.shard()
                + "&shards=" + at.shards() + "&epoch=" + at.epoch()
                + (seed.isPresent() ? "&seed=" + seed.getAsLong() : "")
                + (at.position() > 0 ? "&from=" + at.position() : ""));
    }

    private static String mediaType(String contentType) {
        int semicolon = contentType.indexOf(';');
        return (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).strip().toLowerCase(Locale.ROOT);
    }

    private static void closeBody(java.nio.channels.Channel body) {
        try {
            body.close();
        } catch (IOException e) {
            LOG.debug("closing a response body failed", e);
        }
    }
}
