package io.sluice.examples.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.broker.stream.ArrowHttpStreamer;
import io.sluice.broker.stream.DecodeAhead;
import io.sluice.examples.BrokerClient;
import io.sluice.examples.Demo;
import io.sluice.loader.GpuLoader;
import io.sluice.loader.LoaderConfig;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ./sluice bench stream}: the data path measured against real contenders in one run, all on
 * 127.0.0.1, contenders alternating run by run (the order rotates each round), medians of the
 * measured runs after warm-up. The broker runs as a separate JVM (same java, class path and flags as
 * this one), so that its CPU time and memory can be read from {@code /proc}.
 *
 * <p>Contenders: the enforced IPC bytes over a plain socket ({@code ipc}), the Parquet scan alone
 * ({@code scan}), Arrow Flight {@code DoGet} of the same enforced batches from a JVM of its own
 * ({@code flight}), broker -> GPU loader ({@code loader}), broker -> pyarrow ({@code pyarrow}), four
 * ranks sharing one grant ({@code ranks}); then concurrent whole-dataset streams
 * ({@code consumers}) and slow consumers against the broker's per-stream memory bound ({@code slow}).
 * Each class named in the table says exactly what it measures.
 */
@Command(name = "./sluice bench stream", mixinStandardHelpOptions = true, sortOptions = false, usageHelpWidth = 110,
        abbreviateSynopsis = true,
        description = {
            "Measures the stream data path against contenders in one run, all on 127.0.0.1: contenders alternate run by",
            "run, medians (min, max) of --runs measured runs after --warmup. The broker is a separate JVM; its CPU",
            "seconds per GB and memory come from /proc. Contenders (--contenders):",
            "  ipc        the broker's enforced Arrow IPC bytes, captured once to a file, over a plain loopback socket",
            "             into a plain ArrowStreamReader (the baseline)",
            "  scan       Sluice's Parquet connector alone, one thread, every granted column",
            "  scan_threads  the same scan, each batch's columns decoded on --decode-threads threads",
            "  flight     Arrow Flight DoGet of the same enforced batches (connector + the same EnforcementPipeline)",
            "             from a FlightServer in its own JVM, read by a FlightClient",
            "  loader     broker -> GPU loader (GrantStream), one whole-dataset stream",
            "  pyarrow    broker -> pyarrow.ipc.open_stream over http.client in a python3 process (its own clock)",
            "  ranks      4 concurrent loader streams, shard=0..3&shards=4, one grant: total throughput",
            "  consumers  --consumers concurrent whole-dataset streams (raw socket readers, bytes discarded), each",
            "             cut after --consumer-seconds: aggregate MB/s and broker memory",
            "  slow       --slow-consumers streams each reading --slow-read-bytes every --slow-interval-ms for",
            "             --slow-seconds: broker memory against the per-stream bound",
            "The source (HospitalDataset rows, the demo policy drops `name`) is cached in --dir by its parameters."},
        footer = {"", "Examples:",
            "  ./sluice bench stream                                  # 2 GB, every contender (tens of minutes)",
            "  ./sluice bench stream --gb 0.2 --runs 2 --warmup 1     # a quick check",
            "  ./sluice bench stream --contenders loader,flight,ipc --runs 7",
            "Results and how to read them: docs/PERFORMANCE.md, section 'Stream throughput'."})
public final class StreamThroughputBench implements Callable<Integer> {

    /** What can be measured; {@code --contenders} takes their names, in any case. */
    enum Contender {
        IPC("plain IPC socket"),
        SCAN("Parquet scan alone"),
        SCAN_THREADS("Parquet scan, N threads"),
        FLIGHT("Flight DoGet"),
        LOADER("Sluice -> loader"),
        PYARROW("Sluice -> pyarrow"),
        RANKS("Sluice -> 4 ranks"),
        CONSUMERS("concurrent consumers"),
        SLOW("slow consumers");

        final String label;

        Contender(String label) {
            this.label = label;
        }
    }

    /** The contenders measured in rounds (the others have phases of their own). */
    private static final List<Contender> ROUND_CONTENDERS = List.of(Contender.IPC, Contender.SCAN,
            Contender.SCAN_THREADS, Contender.FLIGHT, Contender.LOADER, Contender.PYARROW, Contender.RANKS);
    private static final int RANKS = 4;
    private static final Duration START_TIMEOUT = Duration.ofMinutes(2);

    @Spec
    CommandSpec spec;

    @Option(names = "--gb", defaultValue = "2",
            description = "size of the source in GB (10^9 bytes) of Arrow payload after the policy (default: ${DEFAULT-VALUE})")
    double gigabytes;

    @Option(names = "--rows", description = "exact number of rows instead of --gb")
    Long rows;

    @Option(names = "--row-group-rows", defaultValue = "0",
            description = "rows per Parquet row group; 0 = at least 16 groups, at most 1,048,576 rows each (default: ${DEFAULT-VALUE})")
    int rowGroupRows;

    @Option(names = "--runs", defaultValue = "5", description = "measured runs of each contender (default: ${DEFAULT-VALUE})")
    int runs;

    @Option(names = "--warmup", defaultValue = "2", description = "unmeasured runs of each contender first (default: ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--contenders", split = ",", paramLabel = "NAME",
            description = "which to measure, comma-separated: ${COMPLETION-CANDIDATES} (default: all)")
    Set<Contender> contenders = EnumSet.allOf(Contender.class);

    @Option(names = "--consumers", split = ",", defaultValue = "1,4,16,64", paramLabel = "N",
            description = "concurrent whole-dataset streams, one level after another (default: ${DEFAULT-VALUE})")
    List<Integer> consumerLevels;

    @Option(names = "--consumer-seconds", defaultValue = "10",
            description = "time bound of each level of concurrent consumers: streams still running are cut (default: ${DEFAULT-VALUE})")
    int consumerSeconds;

    @Option(names = "--consumer-runs", defaultValue = "3",
            description = "runs of each level of concurrent consumers, levels alternating (default: ${DEFAULT-VALUE})")
    int consumerRuns;

    @Option(names = "--slow-consumers", defaultValue = "64", description = "slow consumers (default: ${DEFAULT-VALUE})")
    int slowConsumers;

    @Option(names = "--slow-seconds", defaultValue = "20", description = "how long the slow consumers read (default: ${DEFAULT-VALUE})")
    int slowSeconds;

    @Option(names = "--slow-read-bytes", defaultValue = "4096",
            description = "bytes a slow consumer reads at a time (default: ${DEFAULT-VALUE})")
    int slowReadBytes;

    @Option(names = "--slow-interval-ms", defaultValue = "10",
            description = "pause of a slow consumer after each read (default: ${DEFAULT-VALUE})")
    int slowIntervalMs;

    @Option(names = "--dir", description = "cache of generated sources and parent of each run's directory (default: ${java.io.tmpdir}/sluice-bench)")
    Path dir;

    @Option(names = "--keep", description = "keep the run's directory (broker data and log, Flight log, the captured IPC stream)")
    boolean keep;

    @Option(names = "--seed", defaultValue = "42", description = "seed of the generated rows (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--loader-digest", defaultValue = "true", arity = "1",
            description = "the loader hashes each stream body (SHA-256, its default) (default: ${DEFAULT-VALUE})")
    boolean loaderDigest;

    @Option(names = "--flight-zero-copy", defaultValue = "true", arity = "1",
            description = "the Flight server sends Arrow buffers without copying (default: ${DEFAULT-VALUE})")
    boolean flightZeroCopy;

    @Option(names = "--broker-nmt", defaultValue = "true", arity = "1",
            description = "run the broker with -XX:NativeMemoryTracking=summary, to report its off-heap (Arrow, Netty) memory (default: ${DEFAULT-VALUE})")
    boolean brokerNmt;

    @Option(names = "--decode-threads", paramLabel = "N",
            description = "decode threads of a stream: the broker's --decode-threads, the Flight server's and scan-threads'"
                    + " (default: the cores the JVM sees)")
    Integer decodeThreads;

    @Option(names = "--python", defaultValue = "python3", description = "the Python with pyarrow (default: ${DEFAULT-VALUE})")
    String python;

    private final PrintStream out = System.out;
    /** Why contenders that were asked for did not run; repeated under the results. */
    private final List<String> skipped = new ArrayList<>();

    private int decodeThreads() {
        return decodeThreads != null ? decodeThreads : Runtime.getRuntime().availableProcessors();
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new StreamThroughputBench()).setCaseInsensitiveEnumValuesAllowed(true).execute(args));
    }

    /** One measured run: what moved, and the CPU seconds the serving process spent on it. */
    private record RunRecord(Transfer transfer, OptionalDouble serverCpuSeconds) {
        double cpuSecondsPerGigabyte() {
            return serverCpuSeconds.isPresent() ? serverCpuSeconds.getAsDouble() / (transfer.bytes() / 1e9) : Double.NaN;
        }
    }

    /** A contender of the rounds: how to run it once, and which process serves it (whose CPU counts). */
    private record Round(Contender contender, Callable<Transfer> run, Optional<ChildJvm> server, String serverName) {}

    /**
     * What one level of concurrent consumers showed.
     *
     * @param rssBefore the broker's resident memory when the level started
     */
    private record CrowdRecord(ConsumerCrowd.Outcome outcome, long rssBefore, MemorySampler.Peaks peaks,
            double brokerCpuSeconds) {}

    @Override
    public Integer call() throws Exception {
        validate();
        Instant started = Instant.now();
        out.println("command: ./sluice bench stream " + spec.commandLine().getParseResult().originalArgs().stream()
                .map(StreamThroughputBench::shellQuoted).collect(Collectors.joining(" ")));
        out.printf("date: %s   cpus: %d   java: %s   load average: %s%n",
                LocalDateTime.now().format(DateTimeFormatter.ISO_LOCAL_DATE_TIME.withLocale(Locale.ROOT)).substring(0, 19),
                Runtime.getRuntime().availableProcessors(), Runtime.version(), loadAverage());

        out.printf("settings: --runs %d --warmup %d --contenders %s --consumers %s --consumer-seconds %d --consumer-runs %d"
                        + " --slow-consumers %d --slow-seconds %d --slow-read-bytes %d --slow-interval-ms %d"
                        + " --loader-digest %s --flight-zero-copy %s --broker-nmt %s%n", runs, warmup,
                contenders.stream().map(c -> c.name().toLowerCase(Locale.ROOT)).collect(Collectors.joining(",")),
                consumerLevels.stream().map(String::valueOf).collect(Collectors.joining(",")), consumerSeconds,
                consumerRuns, slowConsumers, slowSeconds, slowReadBytes, slowIntervalMs, loaderDigest, flightZeroCopy,
                brokerNmt);
        Path cache = dir != null ? dir : Path.of(System.getProperty("java.io.tmpdir"), "sluice-bench");
        Path sourcesRoot = cache.resolve("sources");
        long sourceRows = rows != null ? rows : BenchSource.rowsForGigabytes(gigabytes);
        int groupRows = rowGroupRows > 0 ? rowGroupRows : BenchSource.defaultRowGroupRows(sourceRows);
        BenchSource source = BenchSource.ensure(sourcesRoot, sourceRows, groupRows, seed, out);
        out.printf("source: %s (%s): %,d rows, %d row groups of %,d rows, %,d bytes of Parquet%n", source.file(),
                source.generated() ? "generated now" : "from the cache", source.rows(), source.rowGroups(),
                source.rowGroupRows(), source.fileBytes());
        if (source.rowGroups() < BenchSource.MIN_ROW_GROUPS) {
            out.printf("note: fewer than %d row groups; --row-group-rows sets their size%n", BenchSource.MIN_ROW_GROUPS);
        }

        Files.createDirectories(cache);
        Path work = Files.createTempDirectory(cache, "run-");
        boolean completed = false;
        try (RootAllocator allocator = new RootAllocator()) {
            run(source, sourcesRoot, work, allocator);
            completed = true;
        } finally {
            if (keep || !completed) {
                out.println("run directory kept: " + work);
            } else {
                deleteRecursively(work);
            }
            out.printf("total time: %.0f s%n", Duration.between(started, Instant.now()).toMillis() / 1e3);
        }
        return 0;
    }

    private void validate() {
        if (runs < 1 || warmup < 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--runs must be >= 1 and --warmup >= 0");
        }
        if (rows != null && rows < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--rows must be >= 1, was " + rows);
        }
        if (rowGroupRows < 0 || consumerSeconds < 1 || consumerRuns < 1 || slowConsumers < 1 || slowSeconds < 1
                || slowReadBytes < 1 || slowIntervalMs < 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--row-group-rows must be >= 0; --consumer-seconds,"
                    + " --consumer-runs, --slow-consumers, --slow-seconds and --slow-read-bytes >= 1; --slow-interval-ms >= 0");
        }
        if (consumerLevels.stream().anyMatch(n -> n < 1)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--consumers must all be >= 1, were " + consumerLevels);
        }
        if (contenders.isEmpty()) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--contenders names none");
        }
    }

    private void run(BenchSource source, Path sourcesRoot, Path work, BufferAllocator allocator) throws Exception {
        List<String> brokerFlags = brokerNmt ? List.of("-XX:NativeMemoryTracking=summary") : List.of();
        try (ChildJvm broker = ChildJvm.start("broker", "io.sluice.broker.cli.SluiceCommand", brokerFlags,
                List.of("serve", "--port", "0", "--data-dir", work.resolve("broker").toString(),
                        "--sources", sourcesRoot.toString(), "--decode-threads", Integer.toString(decodeThreads()),
                        // One consumer runs every crowd of streams here.
                        "--max-streams", "1024", "--max-streams-per-consumer", "1024"),
                work.resolve("broker.log"), Pattern.compile("listening on (http://\\S+)"), START_TIMEOUT)) {
            URI brokerUri = URI.create(broker.readyGroup(1));
            out.printf("broker: pid %d at %s, JVM flags %s, log %s%n", broker.pid(), brokerUri,
                    Stream.concat(ChildJvm.inheritedJvmFlags().stream(), brokerFlags.stream()).toList(), broker.log());
            BrokerClient client = new BrokerClient(brokerUri);
            DevTokens lab = new DevTokens(client, "bench", "ai-lab", List.of("data-consumer"));
            String owner = client.devToken("owner", BenchSource.ORGANISATION, List.of("data-owner"));
            ObjectNode registration = BrokerClient.json().createObjectNode().put("name", "bench");
            registration.putObject("source").put("type", "parquet").put("path", source.fileName());
            registration.set("policy", BrokerClient.json().readTree(Demo.POLICY));
            String datasetId = client.post("/v1/datasets", Optional.of(owner), registration).orThrow().path("id").asText();
            JsonNode grant = client.post("/v1/grants", Optional.of(lab.get()), BrokerClient.json().createObjectNode()
                    .put("dataset", datasetId).put("purpose", "medical-research")).orThrow();
            String grantId = grant.path("id").asText();
            List<String> columns = new ArrayList<>();
            grant.path("columns").forEach(column -> columns.add(column.asText()));
            out.printf("dataset %s, grant %s: columns %s%n", datasetId, grantId, columns);

            Path ipcFile = work.resolve("enforced.arrows");
            URI streamUri = brokerUri.resolve("/v1/grants/" + grantId + "/stream");
            capture(streamUri, lab.get(), ipcFile);
            long[] counted = countIpc(ipcFile, allocator);
            long payload = Files.size(ipcFile);
            long expectedRows = counted[0];
            out.printf("enforced stream: %,d bytes of Arrow IPC, %,d rows, %,d batches (mean %,d bytes), captured to %s%n",
                    payload, expectedRows, counted[1], payload / Math.max(1, counted[1]), ipcFile);
            if (expectedRows != source.rows()) {
                throw new IllegalStateException("the broker sent " + expectedRows + " rows of " + source.rows());
            }

            List<AutoCloseable> resources = new ArrayList<>();
            try {
                List<Round> rounds = prepareRounds(source, columns, work, allocator, broker, brokerUri, streamUri,
                        grantId, lab, ipcFile, payload, resources);
                Map<Contender, List<RunRecord>> measured = measureRounds(rounds, expectedRows);
                Map<Integer, List<CrowdRecord>> crowds = new LinkedHashMap<>();
                Optional<SlowResult> slow = Optional.empty();
                if (contenders.contains(Contender.CONSUMERS) || contenders.contains(Contender.SLOW)) {
                    Optional<JvmMemoryProbe> probe = attach(broker);
                    probe.ifPresent(resources::add);
                    ConsumerCrowd crowd = new ConsumerCrowd(brokerUri, grantId, lab);
                    if (contenders.contains(Contender.CONSUMERS)) {
                        crowds = consumersPhase(crowd, broker, probe);
                    }
                    if (contenders.contains(Contender.SLOW)) {
                        ParquetScan.Footprint footprint = new ParquetScan(source.file(), columns, payload, allocator).footprint();
                        slow = Optional.of(slowPhase(crowd, broker, probe, footprint));
                    }
                }
                report(rounds, measured, crowds, slow, payload);
            } finally {
                for (int i = resources.size() - 1; i >= 0; i--) {
                    resources.get(i).close();
                }
            }
        }
    }

    private List<Round> prepareRounds(BenchSource source, List<String> columns, Path work, BufferAllocator allocator,
            ChildJvm broker, URI brokerUri, URI streamUri, String grantId, DevTokens lab, Path ipcFile, long payload,
            List<AutoCloseable> resources) throws Exception {
        List<Round> rounds = new ArrayList<>();
        Optional<ChildJvm> brokerServer = Optional.of(broker);
        if (contenders.contains(Contender.IPC)) {
            PlainIpcSocket ipc = new PlainIpcSocket(ipcFile, allocator);
            rounds.add(new Round(Contender.IPC, ipc::run, Optional.empty(), "-"));
        }
        if (contenders.contains(Contender.SCAN)) {
            ParquetScan scan = new ParquetScan(source.file(), columns, payload, allocator);
            rounds.add(new Round(Contender.SCAN, scan::run, Optional.empty(), "-"));
        }
        if (contenders.contains(Contender.SCAN_THREADS)) {
            ParquetScan scan = new ParquetScan(source.file(), columns, payload, allocator, decodeThreads());
            rounds.add(new Round(Contender.SCAN_THREADS, scan::run, Optional.empty(), "-"));
        }
        if (contenders.contains(Contender.FLIGHT)) {
            ChildJvm flight = ChildJvm.start("flight", FlightDoGetServer.class.getName(), List.of(),
                    List.of("--file", source.file().toString(), "--zero-copy", Boolean.toString(flightZeroCopy),
                            "--decode-threads", Integer.toString(decodeThreads())),
                    work.resolve("flight.log"), Pattern.compile("listening on grpc\\+tcp://127\\.0\\.0\\.1:(\\d+)"),
                    START_TIMEOUT);
            resources.add(flight);
            FlightDoGetReader reader = new FlightDoGetReader(Integer.parseInt(flight.readyGroup(1)), payload, allocator);
            resources.add(reader);
            out.printf("flight: pid %d, DoGet on port %s, zero-copy %s, log %s%n", flight.pid(), flight.readyGroup(1),
                    flightZeroCopy, flight.log());
            rounds.add(new Round(Contender.FLIGHT, reader::run, Optional.of(flight), "Flight server"));
        }
        if (contenders.contains(Contender.LOADER) || contenders.contains(Contender.RANKS)) {
            GpuLoader loader = GpuLoader.create(LoaderConfig.of(brokerUri).withDigestBodies(loaderDigest));
            resources.add(loader);
            out.printf("loader: body digest %s, pinned arena %s%n", loaderDigest, loader.arena());
            if (contenders.contains(Contender.LOADER)) {
                LoaderStreams one = new LoaderStreams(loader, grantId, lab, 1);
                rounds.add(new Round(Contender.LOADER, one::run, brokerServer, "broker"));
            }
            if (contenders.contains(Contender.RANKS)) {
                LoaderStreams four = new LoaderStreams(loader, grantId, lab, RANKS);
                rounds.add(new Round(Contender.RANKS, four::run, brokerServer, "broker"));
            }
        }
        if (contenders.contains(Contender.PYARROW)) {
            PyArrowStream.Result pyarrow = PyArrowStream.prepare(python, work, streamUri, lab);
            out.println("pyarrow: " + pyarrow.note());
            if (pyarrow.stream().isEmpty()) {
                skipped.add(pyarrow.note());
            }
            pyarrow.stream().ifPresent(stream -> rounds.add(new Round(Contender.PYARROW, stream::run, brokerServer, "broker")));
        }
        rounds.sort(Comparator.comparing(Round::contender));
        return rounds;
    }

    private Map<Contender, List<RunRecord>> measureRounds(List<Round> rounds, long expectedRows) throws Exception {
        Map<Contender, List<RunRecord>> measured = new LinkedHashMap<>();
        rounds.forEach(round -> measured.put(round.contender(), new ArrayList<>()));
        if (rounds.isEmpty()) {
            return measured;
        }
        out.printf("%n%d warm-up and %d measured rounds; each round runs every contender once, the order rotating%n",
                warmup, runs);
        for (int round = 0; round < warmup + runs; round++) {
            boolean warming = round < warmup;
            for (int i = 0; i < rounds.size(); i++) {
                Round next = rounds.get((round + i) % rounds.size());
                Optional<ProcessUsage> before = next.server().map(ChildJvm::usage);
                Transfer transfer = next.run().call();
                OptionalDouble cpu = next.server().map(server -> OptionalDouble.of(server.usage().cpuSeconds()
                        - before.orElseThrow().cpuSeconds())).orElse(OptionalDouble.empty());
                if (transfer.rows() != expectedRows) {
                    throw new IllegalStateException(next.contender().label + " delivered " + transfer.rows()
                            + " rows, expected " + expectedRows);
                }
                RunRecord record = new RunRecord(transfer, cpu);
                if (!warming) {
                    measured.get(next.contender()).add(record);
                }
                out.printf("round %d/%d%-10s %-20s %8.1f MB/s  %6.2f s%s%n", round + 1, warmup + runs,
                        warming ? " (warm-up)" : "", next.contender().label, transfer.megabytesPerSecond(),
                        transfer.seconds(), cpu.isPresent() ? String.format(Locale.ROOT, "   %s CPU %.2f s (%.2f s/GB)",
                                next.serverName(), cpu.getAsDouble(), record.cpuSecondsPerGigabyte()) : "");
            }
        }
        return measured;
    }

    private Optional<JvmMemoryProbe> attach(ChildJvm broker) {
        try {
            return Optional.of(JvmMemoryProbe.attach(broker.pid()));
        } catch (IOException | RuntimeException e) {
            out.println("note: cannot attach to the broker's JVM (" + e.getMessage() + "): heap and off-heap not reported");
            return Optional.empty();
        }
    }

    private Map<Integer, List<CrowdRecord>> consumersPhase(ConsumerCrowd crowd, ChildJvm broker,
            Optional<JvmMemoryProbe> probe) throws Exception {
        Map<Integer, List<CrowdRecord>> records = new LinkedHashMap<>();
        consumerLevels.forEach(level -> records.put(level, new ArrayList<>()));
        out.printf("%nconcurrent consumers: levels %s, each cut after %d s, %d runs, levels alternating%n",
                consumerLevels, consumerSeconds, consumerRuns);
        for (int run = 0; run < consumerRuns; run++) {
            for (int level : consumerLevels) {
                // No full GC first: the heap it gives back would be faulted in again, on the clock.
                long rssBefore = broker.usage().rssBytes();
                double cpuBefore = broker.usage().cpuSeconds();
                MemorySampler sampler = MemorySampler.start(broker.pid(), probe);
                ConsumerCrowd.Outcome outcome;
                try {
                    outcome = crowd.run(level, ConsumerCrowd.Pace.fast(), Duration.ofSeconds(consumerSeconds), () -> {});
                } finally {
                    sampler.close();
                }
                MemorySampler.Peaks peaks = sampler.stop();
                double cpu = broker.usage().cpuSeconds() - cpuBefore;
                records.get(level).add(new CrowdRecord(outcome, rssBefore, peaks, cpu));
                out.printf("run %d/%d  %3d consumers %8.1f MB/s aggregate, %2d of %2d complete in %5.1f s;"
                                + " broker CPU %.2f s/GB, RSS %s -> peak %s, peak off-heap %s%n",
                        run + 1, consumerRuns, level, outcome.megabytesPerSecond(), outcome.completed(), level,
                        outcome.seconds(), cpu / (outcome.bodyBytes() / 1e9), mib(rssBefore), mib(peaks.rssBytes()),
                        mib(peaks.offHeapBytes()));
            }
        }
        return records;
    }

    /**
     * What the slow consumers showed.
     *
     * @param idle the broker's memory before, after a full GC: {rss, live heap, off-heap or -1}
     * @param held the same with every slow stream open, at the end of the time bound
     * @param perStreamBound the batches a stream may pin plus the reader's scratch (see {@code slowPhase})
     */
    private record SlowResult(int consumers, long[] idle, long[] held, MemorySampler.Peaks peaks, long perStreamBound,
            long batchBytes, long readerScratchBytes, long bytesRead, double seconds) {}

    /**
     * Slow consumers: each stream stalls on its write queue. What one stream may hold, from the
     * broker's code (decision 0004, revised): {@link DecodeAhead#AHEAD} decoded batches, the batch
     * being enforced and encoded, and the batches the response still reads from: its write queue
     * ({@link ArrowHttpStreamer#WRITE_QUEUE_BYTES} in Netty plus 16 writes of 64 KiB in Vert.x)
     * pins the batches those bytes lie in, at most one more than they fill; plus the reader's own
     * scratch (page buffers). Batch and scratch sizes are measured through the same connector;
     * the largest batch counts for each (allocated memory, which rounds up).
     */
    private SlowResult slowPhase(ConsumerCrowd crowd, ChildJvm broker, Optional<JvmMemoryProbe> probe,
            ParquetScan.Footprint footprint) throws Exception {
        long batch = footprint.batchBytes();
        long queued = ArrowHttpStreamer.WRITE_QUEUE_BYTES + 16 * 64 * 1024;
        long pinned = DecodeAhead.AHEAD + 1 + (queued + batch - 1) / batch + 1;
        long bound = pinned * batch + footprint.scratchBytes();
        out.printf("%nslow consumers: %d streams, each reading %d bytes every %d ms (socket receive buffer 64 KiB) for %d s%n",
                slowConsumers, slowReadBytes, slowIntervalMs, slowSeconds);
        long[] idle = settledMemory(broker, probe);
        long[][] held = new long[1][];
        MemorySampler sampler = MemorySampler.start(broker.pid(), probe);
        ConsumerCrowd.Outcome outcome;
        try {
            outcome = crowd.run(slowConsumers, ConsumerCrowd.Pace.slow(slowReadBytes, Duration.ofMillis(slowIntervalMs)),
                    Duration.ofSeconds(slowSeconds), () -> held[0] = settledMemory(broker, probe));
        } finally {
            sampler.close();
        }
        MemorySampler.Peaks peaks = sampler.stop();
        return new SlowResult(slowConsumers, idle, held[0], peaks, bound, batch, footprint.scratchBytes(),
                outcome.bodyBytes(), outcome.seconds());
    }

    /** The broker's memory after a full GC: {RSS, live heap, off-heap committed}, -1 for what cannot be read. */
    private static long[] settledMemory(ChildJvm broker, Optional<JvmMemoryProbe> probe) {
        long heap = -1;
        long offHeap = -1;
        if (probe.isPresent()) {
            try {
                probe.get().collectGarbage();
                heap = probe.get().heapUsed();
                offHeap = probe.get().offHeapCommitted().orElse(-1);
            } catch (RuntimeException e) {
                // Reported as not available.
            }
        }
        return new long[] {broker.usage().rssBytes(), heap, offHeap};
    }

    private void report(List<Round> rounds, Map<Contender, List<RunRecord>> measured,
            Map<Integer, List<CrowdRecord>> crowds, Optional<SlowResult> slow, long payload) {
        out.printf("%n== results: Arrow payload %,d bytes per stream, medians of %d measured runs ==%n", payload, runs);
        Map<Contender, Stats> throughput = new LinkedHashMap<>();
        Map<Contender, OptionalDouble> cpuPerGb = new LinkedHashMap<>();
        if (!rounds.isEmpty()) {
            out.printf("%-22s %10s %10s %10s %9s   %s%n", "contender", "MB/s", "min", "max", "seconds", "server CPU s/GB (median)");
            for (Round round : rounds) {
                List<RunRecord> records = measured.get(round.contender());
                Stats mbps = Stats.of(records.stream().map(r -> r.transfer().megabytesPerSecond()).toList()).orElseThrow();
                Stats seconds = Stats.of(records.stream().map(r -> r.transfer().seconds()).toList()).orElseThrow();
                OptionalDouble cpu = Stats.median(records.stream().map(RunRecord::cpuSecondsPerGigabyte).toList());
                throughput.put(round.contender(), mbps);
                cpuPerGb.put(round.contender(), cpu);
                out.printf("%-22s %10.1f %10.1f %10.1f %9.2f   %s%n", round.contender().label, mbps.median(), mbps.min(),
                        mbps.max(), seconds.median(), cpu.isPresent()
                                ? String.format(Locale.ROOT, "%.2f (%s)", cpu.getAsDouble(), round.serverName()) : "-");
            }
        }
        if (!crowds.isEmpty()) {
            out.printf("%n%-22s %10s %10s %10s %9s %14s %14s%n", "concurrent consumers", "MB/s", "min", "max",
                    "CPU s/GB", "peak RSS", "peak off-heap");
            crowds.forEach((level, records) -> {
                Stats mbps = Stats.of(records.stream().map(r -> r.outcome().megabytesPerSecond()).toList()).orElseThrow();
                OptionalDouble cpu = Stats.median(records.stream()
                        .map(r -> r.brokerCpuSeconds() / (r.outcome().bodyBytes() / 1e9)).toList());
                long rss = records.stream().mapToLong(r -> r.peaks().rssBytes()).max().orElse(0);
                OptionalLong offHeap = max(records.stream().map(r -> r.peaks().offHeapBytes()).toList());
                out.printf("%-22s %10.1f %10.1f %10.1f %9.2f %14s %14s%n", level + (level == 1 ? " stream" : " streams"),
                        mbps.median(), mbps.min(), mbps.max(), cpu.orElse(Double.NaN), mib(rss), mib(offHeap));
            });
            out.printf("(raw socket readers, body bytes incl. chunk framing; each level cut after %d s; peaks over all"
                    + " runs; RSS includes heap the JVM keeps committed after earlier levels)%n",
                    consumerSeconds);
        }
        skipped.forEach(reason -> out.println("skipped: " + reason));
        rounds.stream().filter(round -> round.contender() == Contender.FLIGHT).findFirst()
                .flatMap(Round::server).ifPresent(this::reportFlightWaits);
        out.printf("%n== goals ==%n");
        Optional<Double> floor = Stream.of(throughput.get(Contender.SCAN), throughput.get(Contender.IPC))
                .filter(java.util.Objects::nonNull).map(Stats::median).min(Double::compare);
        Stats loader = throughput.get(Contender.LOADER);
        if (loader != null && floor.isPresent()) {
            goal("one stream / min(Parquet scan alone, plain IPC socket)", loader.median() / floor.get(), ">=", 0.8);
        } else {
            out.println("one stream / min(scan, IPC): needs loader and scan or ipc");
        }
        Stats flight = throughput.get(Contender.FLIGHT);
        if (loader != null && flight != null) {
            goal("Sluice -> loader / Flight DoGet", loader.median() / flight.median(), ">=", 1.5);
        } else {
            out.println("Sluice -> loader / Flight DoGet: needs loader and flight");
        }
        OptionalDouble oneCpu = cpuPerGb.getOrDefault(Contender.LOADER, OptionalDouble.empty());
        OptionalDouble ranksCpu = cpuPerGb.getOrDefault(Contender.RANKS, OptionalDouble.empty());
        if (oneCpu.isPresent() && ranksCpu.isPresent()) {
            out.printf("broker CPU per GB: one stream %.2f s/GB, four ranks %.2f s/GB%n", oneCpu.getAsDouble(),
                    ranksCpu.getAsDouble());
            goal("four ranks broker CPU / one stream broker CPU", ranksCpu.getAsDouble() / oneCpu.getAsDouble(), "<=", 1.2);
        } else {
            out.println("four ranks CPU / one stream CPU: needs loader and ranks");
        }
        slow.ifPresentOrElse(this::reportSlow, () -> out.println("slow consumers' memory: needs slow"));
    }

    /** Sums the per-call lines the Flight server printed about its back-pressure waits. */
    private void reportFlightWaits(ChildJvm flight) {
        Pattern line = Pattern.compile("DoGet: (\\d+) batches; not ready before (\\d+) of them, (\\d+) of those resumed");
        long[] sums = new long[4];
        try (Stream<String> lines = Files.lines(flight.log())) {
            lines.map(line::matcher).filter(java.util.regex.Matcher::find).forEach(m -> {
                sums[0]++;
                for (int i = 1; i <= 3; i++) {
                    sums[i] += Long.parseLong(m.group(i));
                }
            });
        } catch (IOException | UncheckedIOException e) {
            return;
        }
        out.printf("(Flight server: %d DoGet calls, %d batches; %d found the call not ready, %d of those were resumed"
                + " by its 100 ms poll rather than gRPC's on-ready event)%n", sums[0], sums[1], sums[2], sums[3]);
    }

    private void reportSlow(SlowResult slow) {
        long bound = slow.perStreamBound() * slow.consumers();
        out.printf("slow consumers: %d streams read %,d bytes in %.1f s (%.1f MB/s in all)%n", slow.consumers(),
                slow.bytesRead(), slow.seconds(), slow.bytesRead() / 1e6 / slow.seconds());
        out.printf("  per-stream bound from the broker's code: %d batches of at most %s allocated (decoded ahead, being"
                        + " encoded, pinned by the write queue) + the reader's scratch of %s = %s; %d streams: %s%n",
                (slow.perStreamBound() - slow.readerScratchBytes()) / Math.max(1, slow.batchBytes()),
                mib(slow.batchBytes()), mib(slow.readerScratchBytes()), mib(slow.perStreamBound()), slow.consumers(),
                mib(bound));
        out.printf("  broker RSS: %s idle (after a full GC), peak %s while the streams ran%s%n", mib(slow.idle()[0]),
                mib(slow.peaks().rssBytes()), slow.peaks().rssFromKernel() ? " (VmHWM)" : " (sampled every 100 ms)");
        if (slow.idle()[1] < 0 || slow.held()[1] < 0) {
            goal(String.format(Locale.ROOT, "slow consumers' peak RSS over idle (%s) / bound (%s)",
                    mib(slow.peaks().rssBytes() - slow.idle()[0]), mib(bound)),
                    (double) (slow.peaks().rssBytes() - slow.idle()[0]) / bound, "<=", 1.0);
            return;
        }
        long heldHeap = slow.held()[1] - slow.idle()[1];
        out.printf("  broker heap after a full GC: %s idle, %s with the streams open (+%s, %s per stream)%n",
                mib(slow.idle()[1]), mib(slow.held()[1]), mib(heldHeap), mib(heldHeap / slow.consumers()));
        long held = heldHeap;
        if (slow.idle()[2] >= 0 && slow.held()[2] >= 0) {
            long heldOffHeap = slow.held()[2] - slow.idle()[2];
            held += heldOffHeap;
            out.printf("  broker off-heap (NMT 'Other': Arrow, Netty and NIO direct memory, committed): %s idle,"
                            + " %s with the streams open (+%s, %s per stream)%n", mib(slow.idle()[2]),
                    mib(slow.held()[2]), mib(heldOffHeap), mib(heldOffHeap / slow.consumers()));
        } else {
            out.println("  broker off-heap: not known (run with --broker-nmt true); the goal below counts the heap only");
        }
        goal(String.format(Locale.ROOT, "slow consumers: memory held (%s, %s per stream) / bound (%s)", mib(held),
                mib(held / slow.consumers()), mib(bound)), (double) held / bound, "<=", 1.0);
    }

    private void goal(String what, double value, String comparison, double goal) {
        boolean met = comparison.equals(">=") ? value >= goal : value <= goal;
        out.printf("%-70s %6.2f   goal %s %.1f: %s%n", what, value, comparison, goal, met ? "met" : "NOT met");
    }

    /** Fetches the stream once, as raw bytes, into {@code file}: the baseline's input. */
    private static void capture(URI stream, String token, Path file) throws IOException, InterruptedException {
        HttpResponse<Path> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(stream)
                .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofFile(file));
        if (response.statusCode() != 200) {
            throw new IllegalStateException("the stream answered " + response.statusCode() + ": "
                    + Files.readString(file).substring(0, (int) Math.min(500, Files.size(file))));
        }
    }

    /** Rows and batches of an IPC stream file, read with a plain Arrow reader. */
    private static long[] countIpc(Path file, BufferAllocator allocator) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
                BufferAllocator reading = allocator.newChildAllocator("count", 0, Long.MAX_VALUE);
                ArrowStreamReader reader = new ArrowStreamReader(channel, reading)) {
            long rowCount = 0;
            long batches = 0;
            while (reader.loadNextBatch()) {
                rowCount += reader.getVectorSchemaRoot().getRowCount();
                batches++;
            }
            return new long[] {rowCount, batches};
        }
    }

    /** Development tokens for one identity, minted again before the broker's one-hour expiry. */
    private static final class DevTokens implements Supplier<String> {
        private static final Duration RENEW_AFTER = Duration.ofMinutes(30);
        private final BrokerClient client;
        private final String subject;
        private final String organisation;
        private final List<String> roles;
        private String token;
        private long mintedAt;

        DevTokens(BrokerClient client, String subject, String organisation, List<String> roles) {
            this.client = client;
            this.subject = subject;
            this.organisation = organisation;
            this.roles = List.copyOf(roles);
        }

        @Override
        public synchronized String get() {
            if (token == null || System.nanoTime() - mintedAt > RENEW_AFTER.toNanos()) {
                token = client.devToken(subject, organisation, roles);
                mintedAt = System.nanoTime();
            }
            return token;
        }
    }

    private static OptionalLong max(List<OptionalLong> values) {
        return values.stream().filter(OptionalLong::isPresent).mapToLong(OptionalLong::getAsLong).max();
    }

    private static String mib(long bytes) {
        return String.format(Locale.ROOT, "%,.0f MiB", bytes / 1048576.0);
    }

    private static String mib(OptionalLong bytes) {
        return bytes.isPresent() ? mib(bytes.getAsLong()) : "-";
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim().split(" ", 4)[0];
        } catch (IOException e) {
            return "?";
        }
    }

    private static String shellQuoted(String arg) {
        return arg.matches("[A-Za-z0-9_./:=,+-]+") ? arg : "'" + arg.replace("'", "'\\''") + "'";
    }

    private static void deleteRecursively(Path root) {
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> {
                try {
                    Files.delete(path);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException | UncheckedIOException e) {
            System.err.println("cannot delete " + root + ": " + e.getMessage());
        }
    }
}
