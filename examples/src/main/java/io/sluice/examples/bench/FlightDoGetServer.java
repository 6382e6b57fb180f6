package io.sluice.examples.bench;

import static java.util.Objects.requireNonNull;

import io.sluice.connectors.BatchReader;
import io.sluice.connectors.BatchSource;
import io.sluice.connectors.Connectors;
import io.sluice.connectors.ScanSpec;
import io.sluice.connectors.SourceConfig;
import io.sluice.examples.Demo;
import io.sluice.policy.AccessRequest;
import io.sluice.policy.Policies;
import io.sluice.policy.PolicyDecision;
import io.sluice.policy.enforce.EnforcementPipeline;
import io.sluice.policy.enforce.OptOuts;
import io.sluice.policy.enforce.PseudonymKey;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import org.apache.arrow.flight.BackpressureStrategy;
import org.apache.arrow.flight.CallStatus;
import org.apache.arrow.flight.FlightServer;
import org.apache.arrow.flight.Location;
import org.apache.arrow.flight.NoOpFlightProducer;
import org.apache.arrow.flight.Ticket;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorLoader;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.types.pojo.Schema;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The Arrow Flight contender of {@code ./sluice bench stream}, run by the bench as a JVM of its own
 * (as the broker is): a {@link FlightServer} on 127.0.0.1 whose {@code DoGet}, for any ticket,
 * streams the bench's Parquet source through Sluice's connector ({@link Connectors}, the columns the
 * pipeline reads, batches of {@link ScanSpec#DEFAULT_BATCH_ROWS}) and the same
 * {@link EnforcementPipeline} the broker compiles for the bench's grant: the demo policy
 * ({@link Demo#POLICY}), decided for organisation {@code ai-lab} and purpose {@code medical-research}
 * with {@link Policies#decide}, no opt-outs. It sends the very batches the broker sends, without
 * HTTP, hashing or audit records.
 *
 * <p>Back-pressure as Flight's documentation shows: a {@link BackpressureStrategy.CallbackBackpressureStrategy}
 * registered on the listener, waited on before every {@code putNext}; a cancelled call stops the scan.
 * Each call streams on a virtual thread, as the broker's streams do. (A first version that waited
 * inside {@code getStream} once stalled until its 5-minute timeout under heavy machine load; the wait
 * now also asks {@code isReady()} every 100 ms and the server prints, per call, how often that poll
 * rather than the on-ready event resumed it, so a missed event shows instead of skewing the numbers.)
 * Prints {@code listening on grpc+tcp://127.0.0.1:PORT} when ready.
 */
@Command(name = "flight-doget-server", mixinStandardHelpOptions = true,
        description = "Serves the bench's source, enforced, over Arrow Flight DoGet on 127.0.0.1 (bench contender).")
public final class FlightDoGetServer implements Callable<Integer> {

    @Option(names = "--file", required = true, description = "the Parquet source")
    Path file;

    @Option(names = "--port", defaultValue = "0", description = "TCP port; 0 picks a free one (default: ${DEFAULT-VALUE})")
    int port;

    @Option(names = "--zero-copy", defaultValue = "true", arity = "1",
            description = "let Flight send Arrow buffers without copying them into gRPC's (default: ${DEFAULT-VALUE})")
    boolean zeroCopy;

    @Option(names = "--decode-threads", defaultValue = "1",
            description = "threads the connector decodes each batch on, as the broker's --decode-threads (default: ${DEFAULT-VALUE})")
    int decodeThreads;

    public static void main(String[] args) {
        System.exit(new CommandLine(new FlightDoGetServer()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        try (RootAllocator allocator = new RootAllocator();
                FlightServer server = FlightServer.builder(allocator, Location.forGrpcInsecure("127.0.0.1", port),
                        new EnforcedProducer(file, allocator, zeroCopy, decodeThreads)).build()) {
            server.start();
            Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().unstarted(server::shutdown));
            System.out.println("listening on grpc+tcp://127.0.0.1:" + server.getPort());
            System.out.flush();
            server.awaitTermination();
        }
        return 0;
    }

    /**
     * The grant's pipeline, compiled as the broker's {@code StreamService} compiles it: decided
     * under the dataset's policy with the dataset's schema, a pseudonym key derived for the
     * grant's scope (the demo policy pseudonymises nothing, so the key's value does not matter),
     * no opt-outs.
     */
    static EnforcementPipeline compilePipeline(Schema schema) {
        AccessRequest request = new AccessRequest("ai-lab", Set.of("data-consumer"), "medical-research",
                Optional.empty(), Instant.now());
        PolicyDecision decision = Policies.decide(Policies.parse(Demo.POLICY, schema), schema, request);
        PolicyDecision.Permit permit = switch (decision) {
            case PolicyDecision.Permit granted -> granted;
            case PolicyDecision.Deny deny -> throw new IllegalStateException("the demo policy denies the bench's request: "
                    + deny);
        };
        byte[] masterKey = new byte[32];
        new SecureRandom().nextBytes(masterKey);
        return EnforcementPipeline.compile(permit, schema, PseudonymKey.derive(masterKey, "bench", "ai-lab/ai-lab"),
                OptOuts.none());
    }

    /** Streams the enforced source for every {@code DoGet}; one call at a time per stream, any number of calls. */
    static final class EnforcedProducer extends NoOpFlightProducer {
        /** The most Arrow memory one call may hold, as the broker's per-stream limit. */
        private static final long STREAM_MEMORY_LIMIT = 4L * 1024 * 1024 * 1024;
        private static final Duration STALL_TIMEOUT = Duration.ofMinutes(5);
        private static final Duration RELEASE_TIMEOUT = Duration.ofSeconds(30);
        private static final Duration POLL = Duration.ofMillis(100);

        private final Path file;
        private final BufferAllocator allocator;
        private final boolean zeroCopy;
        private final int decodeThreads;
        private final Connectors connectors = Connectors.discover();

        EnforcedProducer(Path file, BufferAllocator allocator, boolean zeroCopy, int decodeThreads) {
            this.decodeThreads = decodeThreads;
            this.file = requireNonNull(file, "file is null");
            this.allocator = requireNonNull(allocator, "allocator is null");
            this.zeroCopy = zeroCopy;
        }

        /**
         * Registers the back-pressure strategy (gRPC takes the on-ready handler only during this
         * call), then streams on a virtual thread of its own, as the broker's streams do, and
         * returns, leaving gRPC's thread for the call's own events (ready, cancelled).
         */
        @Override
        public void getStream(CallContext context, Ticket ticket, ServerStreamListener listener) {
            BackpressureStrategy backpressure = new BackpressureStrategy.CallbackBackpressureStrategy();
            backpressure.register(listener);
            Thread.ofVirtual().name("doget").start(() -> {
                BufferAllocator call = allocator.newChildAllocator("doget", 0, STREAM_MEMORY_LIMIT);
                try {
                    stream(listener, backpressure, call);
                } catch (RuntimeException e) {
                    listener.error(CallStatus.INTERNAL.withDescription("DoGet failed: " + e.getMessage()).withCause(e)
                            .toRuntimeException());
                } finally {
                    closeWhenReleased(call);
                }
            });
        }

        private void stream(ServerStreamListener listener, BackpressureStrategy backpressure, BufferAllocator call) {
            try (BatchSource source = connectors.open(SourceConfig.ofFile("parquet", file))) {
                EnforcementPipeline pipeline = compilePipeline(source.schema());
                try (BatchReader reader = source.open(ScanSpec.of(pipeline.inputColumns()).withDecodeThreads(decodeThreads), call);
                        VectorSchemaRoot out = VectorSchemaRoot.create(pipeline.outputSchema(), call)) {
                    listener.setUseZeroCopy(zeroCopy);
                    listener.start(out);
                    VectorLoader loader = new VectorLoader(out);
                    long batches = 0;
                    long[] waits = new long[2];
                    while (reader.loadNextBatch()) {
                        try (VectorSchemaRoot enforced = pipeline.apply(reader.root(), call)) {
                            if (enforced.getRowCount() == 0) {
                                continue;
                            }
                            BackpressureStrategy.WaitResult ready = awaitReady(listener, backpressure, waits);
                            if (ready == BackpressureStrategy.WaitResult.CANCELLED) {
                                return;
                            }
                            if (ready != BackpressureStrategy.WaitResult.READY) {
                                listener.error(CallStatus.TIMED_OUT.withDescription("the client took nothing for "
                                        + STALL_TIMEOUT.toMinutes() + " minutes").toRuntimeException());
                                return;
                            }
                            batches++;
                            // The batch's buffers move into the root Flight sends from; no copy.
                            try (ArrowRecordBatch batch = new VectorUnloader(enforced).getRecordBatch()) {
                                loader.load(batch);
                            }
                            listener.putNext();
                        }
                    }
                    listener.completed();
                    System.out.printf("DoGet: %d batches; not ready before %d of them, %d of those resumed by the %d ms"
                            + " poll, not by an on-ready event%n", batches, waits[0], waits[1], POLL.toMillis());
                }
            }
        }

        /**
         * Waits until the call can take a batch. The strategy is woken by gRPC's on-ready event; it
         * is asked again every {@link #POLL} as well, so that a missed event costs at most that
         * long (counted in {@code waits[1]}; {@code waits[0]} counts the batches that had to wait).
         */
        private static BackpressureStrategy.WaitResult awaitReady(ServerStreamListener listener,
                BackpressureStrategy backpressure, long[] waits) {
            if (listener.isReady()) {
                return BackpressureStrategy.WaitResult.READY;
            }
            waits[0]++;
            long deadline = System.nanoTime() + STALL_TIMEOUT.toNanos();
            while (true) {
                BackpressureStrategy.WaitResult result = backpressure.waitForListener(POLL.toMillis());
                if (result != BackpressureStrategy.WaitResult.TIMEOUT) {
                    return result;
                }
                if (listener.isReady()) {
                    waits[1]++;
                    return BackpressureStrategy.WaitResult.READY;
                }
                if (System.nanoTime() > deadline) {
                    return result;
                }
            }
        }

        /**
         * Closes a call's allocator once gRPC has released the buffers it still sends from
         * (zero-copy messages hold them until written); a call whose buffers stay held longer is
         * reported, not hidden.
         */
        private static void closeWhenReleased(BufferAllocator call) {
            long deadline = System.nanoTime() + RELEASE_TIMEOUT.toNanos();
            while (call.getAllocatedMemory() > 0 && System.nanoTime() < deadline) {
                try {
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            call.close();
        }
    }
}
