package io.sluice.loader.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import java.util.function.Supplier;

import io.sluice.loader.Checkpoint;
import io.sluice.loader.ClientCredentialsTokens;
import io.sluice.loader.GpuLoader;
import io.sluice.loader.GrantReceipt;
import io.sluice.loader.LoadedBatch;
import io.sluice.loader.LoaderConfig;
import io.sluice.loader.LoaderException;
import io.sluice.loader.LoaderMetrics;
import io.sluice.loader.NumaPlacement;
import io.sluice.loader.PinnedArenaInfo;
import io.sluice.loader.RetryPolicy;
import io.sluice.loader.StreamSummary;
import io.sluice.loader.TrainingStream;
import io.sluice.loader.internal.NumaNodes;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code sluice load}: streams one shard of a grant through the loader — pinned arena, device
 * copies, retries — and prints what reached the node: rows, batches, bytes, MB/s, stall time,
 * host-to-device time, pinned memory, whether batches reached a GPU, and the checkpoint to resume
 * from. An operator runs it on a training node to check the data path before a training run.
 *
 * <p>Exit status: 0 when the shard was read to its end (or to {@code --limit-batches}), 1 when the
 * stream failed (the message and the checkpoint to resume from are printed), 2 for a usage error.
 */
@Command(name = "sluice load", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Streams a grant's shard onto this node's GPU (or into pinned memory) with the loader.",
            "Reports rows, batches, bytes, MB/s, stall time, pinned bytes, whether batches reached a GPU,",
            "and the checkpoint to resume from."},
        footer = {"", "Examples:",
            "  ./sluice load --broker http://127.0.0.1:8470 --grant gr-... --token-file lab.token",
            "  ./sluice load --broker http://b1:8470,http://b2:8470 --grant gr-... --token-file lab.token \\",
            "      --shard 3 --shards 8 --epoch 1 --seed 7",
            "  ./sluice load --broker http://127.0.0.1:8470 --grant gr-... --token-file lab.token --resume TOKEN",
            "  ./sluice load --broker http://127.0.0.1:8470 --grant gr-... --token-file lab.token --receipt receipt.json"})
public final class LoaderCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--broker", required = true, split = ",", paramLabel = "URL", description = {
        "the broker, e.g. http://broker:8080; for several brokers on one store repeat the option or separate the URLs",
        "with commas: rank I starts on the (I mod N)-th, and a stream whose broker stops answering resumes at its",
        "position on the next one"})
    List<URI> brokers;

    @Option(names = "--grant", required = true, paramLabel = "ID", description = "the grant to stream")
    String grant;

    @Option(names = "--shard", defaultValue = "0", paramLabel = "I", description = "this node's rank (default: ${DEFAULT-VALUE})")
    int shard;

    @Option(names = "--shards", defaultValue = "1", paramLabel = "N", description = "the world size (default: ${DEFAULT-VALUE})")
    int shards;

    @Option(names = "--epoch", defaultValue = "0", paramLabel = "E", description = "the epoch (default: ${DEFAULT-VALUE})")
    int epoch;

    @Option(names = "--seed", paramLabel = "S", description = "shuffle seed; without it the broker's natural order")
    Long seed;

    @Option(names = "--resume", paramLabel = "TOKEN",
            description = "a checkpoint token printed by an earlier run; replaces --shard, --shards, --epoch and --seed")
    String resume;

    @ArgGroup(exclusive = true, multiplicity = "0..1")
    Credentials credentials;

    static final class Credentials {
        @Option(names = "--token", paramLabel = "T", description = "a bearer token (visible to other users in ps: "
                + "prefer --token-file or SLUICE_TOKEN)")
        String token;

        @Option(names = "--token-file", paramLabel = "FILE",
                description = "a file holding the bearer token; read again for every connection, so a rotated token is used")
        Path tokenFile;

        @ArgGroup(exclusive = false)
        ClientCredentials client;
    }

    static final class ClientCredentials {
        @Option(names = "--client-id", required = true, paramLabel = "ID", description = "OAuth client id (client-credentials grant)")
        String id;

        // A file, never the secret itself: a command line is visible to every user of the machine (ps).
        @Option(names = "--client-secret-file", required = true, paramLabel = "FILE",
                description = "file holding the OAuth client secret (a trailing line end is dropped)")
        Path secretFile;

        @Option(names = "--token-url", required = true, paramLabel = "URL", description = "the OAuth token endpoint")
        URI tokenUrl;
    }

    @Option(names = "--pinned-mib", defaultValue = "1024", description = "pinned arena size in MiB (default: ${DEFAULT-VALUE})")
    long pinnedMib;

    @Option(names = "--slab-mib", defaultValue = "64", description = "slab size in MiB (default: ${DEFAULT-VALUE})")
    long slabMib;

    @Option(names = "--prefetch", defaultValue = "2", description = "batches kept ahead of the consumer (default: ${DEFAULT-VALUE})")
    int prefetch;

    @Option(names = "--retries", defaultValue = "3", description = "reconnects after a dropped connection (default: ${DEFAULT-VALUE})")
    int retries;

    @Option(names = "--read-timeout", paramLabel = "DURATION", defaultValue = "PT2M", converter = DurationConverter.class,
            description = {"how long a read may wait for the broker's next bytes before the connection is taken as dead",
                "and reopened, ISO-8601 (PT30S) or seconds (30) (default: ${DEFAULT-VALUE})"})
    Duration readTimeout;

    @Option(names = "--huge-pages", description = "advise transparent huge pages for the pinned arena (madvise; Linux)")
    boolean hugePages;

    @Option(names = "--numa-node", paramLabel = "N|auto", converter = NumaPlacementConverter.class, description = {
        "the NUMA node the pinned arena prefers: a node number, or auto for the node the GPU sits on (its PCI",
        "device's numa_node in sysfs); saves every host-to-GPU copy the inter-socket link on a multi-socket node.",
        "A preference (mbind MPOL_PREFERRED), not a binding. Default: none, pages go where they are first touched"})
    NumaPlacement numaNode;

    @Option(names = "--device", defaultValue = "0", description = "CUDA device ordinal (default: ${DEFAULT-VALUE})")
    int device;

    @Option(names = "--no-gpu", description = "deliver pinned host batches even where a GPU exists")
    boolean noGpu;

    @Option(names = "--limit-batches", paramLabel = "N", description = "stop after N batches (then print the checkpoint)")
    Long limitBatches;

    @Option(names = "--receipt", paramLabel = "FILE", description = {
        "after the run, fetch the grant's training receipt and write it to FILE; fail when its stream.closed records",
        "disagree with the bytes and SHA-256 this loader received; prints the sluice receipt verify line that checks",
        "its proofs and this run's streams (other ranks still streaming: fetch it again after the run, or --allow-running)"})
    Path receipt;

    @Option(names = "--progress", negatable = true, description = "print a progress line every second "
            + "(default: on when the output is a terminal)")
    Boolean progress;

    private final Supplier<String> environmentToken;
    /** The loader and the tokens of this run, set by {@link #call()}. */
    private GpuLoader loader;
    private Supplier<String> runTokens;

    public LoaderCommand() {
        this(() -> System.getenv("SLUICE_TOKEN"));
    }

    /** A command that reads the token of last resort from {@code environmentToken} instead of SLUICE_TOKEN. */
    public LoaderCommand(Supplier<String> environmentToken) {
        this.environmentToken = environmentToken;
    }

    /** A duration written ISO-8601 ({@code PT90S}, {@code PT2M}) or as a number of seconds ({@code 90}, {@code 0.5}). */
    static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            try {
                if (value.regionMatches(true, 0, "P", 0, 1)) {
                    return Duration.parse(value);
                }
                return Duration.ofNanos(new java.math.BigDecimal(value).movePointRight(9).longValueExact());
            } catch (java.time.format.DateTimeParseException | NumberFormatException | ArithmeticException e) {
                throw new CommandLine.TypeConversionException("'" + value
                        + "' is not a duration: write ISO-8601 such as PT30S or PT2M, or a number of seconds such as 30");
            }
        }
    }

    /** {@code --numa-node}: a node number or {@code auto}. */
    static final class NumaPlacementConverter implements CommandLine.ITypeConverter<NumaPlacement> {
        @Override
        public NumaPlacement convert(String value) {
            try {
                return NumaPlacement.parse(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new LoaderCommand()).execute(args));
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Checkpoint start = start();
        Supplier<String> token = tokens();
        LoaderConfig config;
        try {
            config = LoaderConfig.of(brokers.getFirst())
                    .withBrokers(brokers)
                    .withPinnedLimitBytes(Math.multiplyExact(pinnedMib, 1L << 20))
                    .withSlabBytes(Math.multiplyExact(slabMib, 1L << 20))
                    .withPrefetchDepth(prefetch)
                    .withRetry(new RetryPolicy(retries, Duration.ofMillis(250), Duration.ofSeconds(8)))
                    .withDeviceOrdinal(device)
                    .withReadTimeout(readTimeout)
                    .withTransparentHugePages(hugePages)
                    .withNumaPlacement(numaNode == null ? NumaPlacement.none() : numaNode);
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        try {
            // The loader checks this too; here a node that is not online is a usage error, before anything is mapped.
            NumaNodes.system().preferredNode(config.numaPlacement() instanceof NumaPlacement.Node node ? node
                    : NumaPlacement.none(), java.util.Optional::empty);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--numa-node: " + e.getMessage());
        }
        boolean interactive = progress != null ? progress : System.console() != null && System.console().isTerminal();
        try (GpuLoader loader = noGpu ? GpuLoader.createWithoutDevice(config) : GpuLoader.create(config)) {
            this.loader = loader;
            this.runTokens = token;
            PinnedArenaInfo arena = loader.arena();
            out.printf(Locale.ROOT, "pinned arena  %.1f MiB (%d slabs of %.1f MiB) made in %d ms (%.0f ms/GiB), %s%s%s, %s%n",
                    arena.budgetBytes() / 1048576.0, arena.slabs(), arena.slabBytes() / 1048576.0,
                    arena.creationTime().toMillis(), arena.creationMillisPerGiB(),
                    arena.hostMemory().description(),
                    arena.registered() && !arena.locked() ? " (mlock refused, pinned by the driver)" : "",
                    arena.registrationFailure().map(f -> "; registration with the GPU failed: " + f).orElse("")
                            + (arena.hugePages() ? ", transparent huge pages" : ""),
                    arena.numa().description());
            out.println("device        " + loader.device().map(d -> d.name() + (d.isGpu() ? "" : " (not a GPU)"))
                    .orElse("none: no usable CUDA driver or --no-gpu; batches stay in pinned host memory"));
            out.flush();
            TrainingStream stream;
            try {
                stream = loader.openTraining(grant, start, token);
            } catch (LoaderException | IllegalStateException | IllegalArgumentException e) {
                // IllegalArgumentException: a token the loader refuses to send (a line break in the token file)
                err.println("error: " + e.getMessage());
                err.flush();
                return 1;
            }
            try (stream) {
                return read(stream, out, err, interactive);
            }
        }
    }

    private int read(TrainingStream stream, PrintWriter out, PrintWriter err, boolean interactive) {
        Thread reporter = interactive ? Thread.ofPlatform().daemon().name("sluice-load-progress").start(() -> {
            try {
                while (true) {
                    Thread.sleep(1000);
                    synchronized (out) {
                        out.print("\r" + stream.progressLine());
                        out.flush();
                    }
                }
            } catch (InterruptedException e) {
                // done
            }
        }) : null;
        LoaderException failure = null;
        try {
            while ((limitBatches == null || stream.metrics().batches() < limitBatches) && stream.hasNext()) {
                LoadedBatch batch = stream.next();
                batch.close(); // a training step would run here, before the batch is closed
            }
        } catch (LoaderException e) {
            failure = e;
        } finally {
            if (reporter != null) {
                reporter.interrupt();
                try {
                    reporter.join();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                synchronized (out) {
                    out.println();
                }
            }
        }
        report(stream, out);
        if (failure != null) {
            err.println("error: " + failure.getMessage());
            err.println("resume with: --resume " + stream.checkpoint().token());
            if (receipt != null) {
                err.println("no receipt written: the run did not finish");
            }
            err.flush();
            return 1;
        }
        return receipt == null ? 0 : writeReceipt(stream, out, err);
    }

    /** Fetches the grant's receipt, writes it as the broker sent it, then compares it with what this run received. */
    private int writeReceipt(TrainingStream stream, PrintWriter out, PrintWriter err) {
        GrantReceipt fetched;
        try {
            fetched = loader.receipt(grant, runTokens);
            Files.write(receipt, fetched.json());
        } catch (LoaderException | IllegalArgumentException e) {
            err.println("error: cannot fetch the receipt of grant " + grant + ": " + e.getMessage());
            err.flush();
            return 1;
        } catch (IOException e) {
            err.println("error: cannot write the receipt to " + receipt + ": " + e.getMessage());
            err.flush();
            return 1;
        }
        java.util.Optional<String> mismatch = fetched.mismatch(stream.streams());
        if (mismatch.isPresent()) {
            err.println("error: " + mismatch.get() + " (the receipt is in " + receipt + ")");
            err.flush();
            return 1;
        }
        out.println("receipt       " + receipt + ": its stream.closed records match what this loader received");
        if (!fetched.running().isEmpty()) {
            out.println("              " + fetched.running().size() + " other stream(s) of the grant had no end at its"
                    + " checkpoint " + fetched.treeSize() + " (other ranks still running?): fetch the receipt again after"
                    + " the run, or verify with --allow-running");
        }
        out.println("              check its proofs with: " + verifyCommand(fetched, stream.streams()));
        out.flush();
        return 0;
    }

    /**
     * The {@code sluice receipt verify} line for this run: its streams' digests and their bytes,
     * which the verifier compares with the streams those digests name, not with every run of the grant.
     */
    private String verifyCommand(GrantReceipt fetched, List<StreamSummary> received) {
        List<StreamSummary> completed = received.stream()
                .filter(s -> s.sha256Hex().isPresent()).toList();
        StringBuilder command = new StringBuilder("sluice receipt verify " + receipt + " --public-key KEY");
        if (!completed.isEmpty()) {
            command.append(" --expect-sha256 ").append(String.join(",", completed.stream()
                    .map(s -> s.sha256Hex().orElseThrow()).toList()));
            command.append(" --expect-bytes ").append(completed.stream()
                    .mapToLong(StreamSummary::bytes).sum());
        }
        if (!fetched.running().isEmpty()) {
            command.append(" --allow-running");
        }
        return command.toString();
    }

    private void report(TrainingStream stream, PrintWriter out) {
        LoaderMetrics m = stream.metrics();
        Checkpoint at = stream.checkpoint();
        out.printf(Locale.ROOT, "grant         %s, shard %d of %d, epoch %d, %s%n", grant, at.shard(), at.shards(), at.epoch(),
                at.seed().isPresent() ? "seed " + at.seed().getAsLong() : "unshuffled");
        out.printf(Locale.ROOT, "rows          %,d%n", m.rows());
        out.printf(Locale.ROOT, "batches       %,d%n", m.batches());
        out.printf(Locale.ROOT, "bytes         %,d (%.1f MB)%n", m.bytesReceived(), m.bytesReceived() / 1e6);
        out.printf(Locale.ROOT, "rate          %.1f MB/s over %.2f s%n", m.bytesPerSecond() / 1e6, m.elapsed().toNanos() / 1e9);
        out.printf(Locale.ROOT, "stall         %.3f s waiting for data%n", m.stall().toNanos() / 1e9);
        out.println(m.copiedBatches() > 0
                ? String.format(Locale.ROOT, "on device     yes: %,d batches copied to %s, %.3f ms per batch", m.copiedBatches(),
                        m.device(), m.copyTimePerBatch().toNanos() / 1e6)
                : "on device     no: " + m.device());
        out.printf(Locale.ROOT, "pinned        %,d bytes in use now%n", m.pinnedBytesInUse());
        out.printf(Locale.ROOT, "retries       %d%n", m.retries());
        for (StreamSummary summary : stream.streams()) {
            out.printf(Locale.ROOT, "stream        %s on %s from batch %d: %,d batches, %,d bytes, %s%n",
                    summary.streamId(), summary.broker(), summary.from(), summary.batches(), summary.bytes(), summary.sha256Hex().map(sha -> "sha256 " + sha)
                            .orElse(summary.failure().map(f -> "ended early: " + f).orElse("not read to its end")));
        }
        out.println("checkpoint    " + at.token());
        out.flush();
    }

    private Checkpoint start() {
        if (resume != null) {
            try {
                return Checkpoint.parse(resume);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--resume: " + e.getMessage());
            }
        }
        try {
            return new Checkpoint(epoch, shard, shards, seed == null ? OptionalLong.empty() : OptionalLong.of(seed), 0);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    private Supplier<String> tokens() {
        if (credentials != null && credentials.token != null) {
            String token = credentials.token;
            return () -> token;
        }
        if (credentials != null && credentials.tokenFile != null) {
            Path file = credentials.tokenFile;
            if (!Files.isReadable(file)) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--token-file " + file + " is not a readable file");
            }
            return () -> {
                try {
                    return Files.readString(file, StandardCharsets.UTF_8).strip();
                } catch (IOException e) {
                    throw new IllegalStateException("cannot read the token file " + file + ": " + e.getMessage(), e);
                }
            };
        }
        if (credentials != null && credentials.client != null) {
            Path file = credentials.client.secretFile;
            String secret;
            try {
                // As the broker reads its secret files: the whole file, less its trailing line end.
                secret = Files.readString(file, StandardCharsets.UTF_8).replaceFirst("[\\r\\n]+$", "");
            } catch (IOException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "cannot read --client-secret-file " + file
                        + ": " + e.getMessage());
            }
            if (secret.isEmpty()) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--client-secret-file " + file + " is empty");
            }
            return new ClientCredentialsTokens(credentials.client.tokenUrl, credentials.client.id, secret,
                    HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build(), Clock.systemUTC());
        }
        String fromEnvironment = environmentToken.get();
        if (fromEnvironment == null || fromEnvironment.isBlank()) {
            throw new CommandLine.ParameterException(spec.commandLine(), "no token: give --token, --token-file, "
                    + "--client-id/--client-secret-file/--token-url, or set SLUICE_TOKEN");
        }
        return () -> fromEnvironment;
    }
}
