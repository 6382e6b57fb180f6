package io.sluice.broker.cli;

import ch.qos.logback.classic.Level;
import io.sluice.broker.Broker;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.broker.BrokerConfig;
import io.sluice.broker.logging.LogFormat;
import io.sluice.broker.logging.Logging;
import io.sluice.policy.PurposeHierarchy;
import java.util.List;
import java.util.Map;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code sluice serve}: runs a broker until SIGTERM or SIGINT, then shuts it down gracefully
 * (running streams get {@code --shutdown-grace} to finish; see {@link Broker#close()}) and exits 0.
 */
@Command(name = "serve",
        mixinStandardHelpOptions = true,
        description = {"Runs a broker.",
            "With no options: 127.0.0.1:8470, H2 under ./data, sources under ./data/sources/<organisation>/",
            "and the development token issuer (local use only)."})
public final class ServeCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(ServeCommand.class);

    @Option(names = "--host", defaultValue = BrokerConfig.DEFAULT_HOST, description = "address to bind (default: ${DEFAULT-VALUE})")
    String host;

    @Option(names = "--port", defaultValue = "8470", description = "TCP port; 0 picks a free one (default: ${DEFAULT-VALUE})")
    int port;

    @Option(names = "--data-dir", defaultValue = "data", description = "database and keys (default: ${DEFAULT-VALUE})")
    Path dataDir;

    @Option(names = "--sources", description = "root of the organisations' source directories (default: DATA_DIR/sources)")
    Path sources;

    @Option(names = "--db", description = "JDBC URL of an external database (default: embedded H2 under DATA_DIR)")
    String database;

    @Option(names = "--grant-ttl", defaultValue = "PT24H", description = "how long a grant stays valid, ISO-8601 (default: ${DEFAULT-VALUE})")
    Duration grantTtl;

    @Option(names = "--max-request-bytes", defaultValue = "1048576", description = "largest request body accepted (default: ${DEFAULT-VALUE})")
    long maxRequestBytes;

    @Option(names = "--audit-origin", defaultValue = BrokerConfig.DEFAULT_AUDIT_ORIGIN,
            description = "name of the audit log in its signed checkpoints (default: ${DEFAULT-VALUE})")
    String auditOrigin;

    @Option(names = "--oidc-issuer", description = "accept tokens of this OIDC issuer (a Keycloak realm URL); turns the development issuer off")
    URI oidcIssuer;

    @Option(names = "--oidc-audience", defaultValue = BrokerConfig.Oidc.DEFAULT_AUDIENCE,
            description = "the audience tokens must carry (default: ${DEFAULT-VALUE})")
    String oidcAudience;

    @Option(names = "--oidc-clock-skew", defaultValue = "PT10S",
            description = "tolerated clock difference for expiry and not-before, ISO-8601 (default: ${DEFAULT-VALUE})")
    Duration oidcClockSkew;

    @Option(names = "--tls-cert", description = "serve HTTPS with this certificate (PEM)")
    Path tlsCert;

    @Option(names = "--tls-key", description = "the certificate's private key (PKCS#8 PEM)")
    Path tlsKey;

    @Option(names = "--client-ca", description = "the data space CA (PEM): stream endpoints then require a node certificate it issued")
    Path clientCa;

    @Option(names = "--purposes", description = {"JSON file of the purpose hierarchy: {\"parent\": [\"child\", ...], ...}",
        "(default: the built-in hierarchy, e.g. model-training under scientific-research)"})
    Path purposes;

    @Option(names = "--jdbc-allowed-hosts", split = ",", description = "database hosts JDBC sources may reach (default: none: JDBC sources off)")
    List<String> jdbcAllowedHosts = List.of();

    @Option(names = "--shutdown-grace", defaultValue = "PT30S", description = {"on SIGTERM, how long running streams may"
        + " take to finish before they are ended as aborted, ISO-8601 (default: ${DEFAULT-VALUE})",
        "New requests are refused with 503 meanwhile."})
    Duration shutdownGrace;

    @Option(names = "--csv-check-bytes", defaultValue = "67108864", description = {"how much of a CSV source"
        + " registration converts to find malformed rows: the whole file up to this size, else its leading blocks up"
        + " to it (default: ${DEFAULT-VALUE}, 64 MiB)"})
    long csvCheckBytes;

    @Option(names = "--decode-threads", paramLabel = "N", description = {"how many threads one stream may decode a"
        + " batch on: a Parquet batch's columns are decoded side by side (default: the cores the JVM sees, "
        + "1 to 64)", "Concurrent streams share the cores; 1 decodes each stream on one thread."})
    Integer decodeThreads;

    @Option(names = "--peer-timeout", defaultValue = "PT30S", description = {"on a shared database (--db), how long"
        + " another broker may miss its heartbeats before this one closes that broker's running streams as"
        + " interrupted, ISO-8601, 1 s to 1 h (default: ${DEFAULT-VALUE})",
        "Each broker writes its heartbeat every third of this or every 5 s, whichever is sooner."})
    Duration peerTimeout;

    @Option(names = "--max-streams", defaultValue = "128", paramLabel = "N", description = "streams this broker serves at"
        + " once; more are refused with 429 too_many_streams (default: ${DEFAULT-VALUE}; each holds up to about 46 MiB)")
    int maxStreams;

    @Option(names = "--max-streams-per-consumer", defaultValue = "16", paramLabel = "N", description = "streams one"
        + " consumer (subject of an organisation) may have running on this broker at once; more are refused with 429"
        + " (default: ${DEFAULT-VALUE})")
    int maxStreamsPerConsumer;

    @Option(names = "--stream-idle-timeout", defaultValue = "PT2M", description = "how long a stream waits for a client"
        + " that reads nothing before it is ended as aborted, ISO-8601, 1 s to 1 h (default: ${DEFAULT-VALUE})")
    Duration streamIdleTimeout;

    @Option(names = "--source-threads", defaultValue = "16", paramLabel = "N", description = "threads for blocking"
        + " source work (registrations opening their sources; stream opens get as many of their own), apart from those"
        + " that answer health, grant and audit requests (default: ${DEFAULT-VALUE})")
    int sourceThreads;

    @Option(names = "--max-source-operations-per-organisation", defaultValue = "4", paramLabel = "N", description =
        "registrations one organisation may have opening their sources at once; more are refused with 429"
        + " too_many_source_operations (default: ${DEFAULT-VALUE})")
    int maxSourceOperationsPerOrganisation;

    @Option(names = "--log-format", defaultValue = "text", converter = LogFormatConverter.class, paramLabel = "text|json",
            description = {"the application log on stderr: text (a line per event: date, time and zone, level, thread,"
                + " logger, message, then requestId=... actor=... dataset=... grant=... stream=... where known) or json"
                + " (one JSON object per line with the same fields) (default: ${DEFAULT-VALUE})",
                "stdout keeps only the 'listening on' and shutdown lines."})
    LogFormat logFormat;

    @Option(names = "--log-level", defaultValue = "info", converter = LogLevelConverter.class,
            paramLabel = "LEVEL", description = "the least severe application log events written: error, warn, info,"
            + " debug or trace (default: ${DEFAULT-VALUE}; Parquet, Hadoop, Arrow, Hikari, Flyway and Netty stay at warn)")
    Level logLevel;

    @Option(names = "--access-log", defaultValue = "true", arity = "0..1", fallbackValue = "true", paramLabel = "true|false",
            description = "a line per request on the logger sluice.access: method, path, status, bytes, duration,"
            + " remote address, request ids, actor (default: ${DEFAULT-VALUE})")
    boolean accessLog;

    @Override
    public Integer call() throws InterruptedException, java.io.IOException {
        Logging.configure(logFormat, logLevel, accessLog);
        BrokerConfig config = config();
        readable(tlsCert, "--tls-cert");
        readable(tlsKey, "--tls-key");
        readable(clientCa, "--client-ca");
        Broker broker;
        try {
            broker = Broker.start(config);
        } catch (RuntimeException e) {
            StartupFailure failure = StartupFailure.of(e, config.host(), config.port());
            LOG.debug("the broker could not start: {}", failure.getMessage(), e);
            throw failure;
        }
        CountDownLatch stopRequested = new CountDownLatch(1);
        // SIGTERM and SIGINT end the wait below, and the broker closes on this thread, so the process
        // exits 0 after a clean shutdown (a JVM ended by the signal itself exits 143).
        for (String name : List.of("TERM", "INT")) {
            sun.misc.Signal.handle(new sun.misc.Signal(name), signal -> stopRequested.countDown());
        }
        // Any other way out (System.exit elsewhere, SIGHUP) still closes the broker; close is idempotent.
        Thread hook = Thread.ofPlatform().name("sluice-shutdown").unstarted(broker::close);
        Runtime.getRuntime().addShutdownHook(hook);
        System.out.println("listening on " + broker.uri());
        System.out.println("sources: " + config.sourcesDir() + "/<organisation>/   data: " + config.dataDir());
        System.out.flush();
        stopRequested.await();
        System.out.println("shutting down (grace " + config.shutdownGrace() + ")");
        System.out.flush();
        broker.close();
        System.out.println("stopped");
        System.out.flush();
        return 0;
    }

    /** The broker configuration the options describe. */
    BrokerConfig config() throws java.io.IOException {
        if ((tlsCert == null) != (tlsKey == null)) {
            throw new IllegalArgumentException("--tls-cert and --tls-key go together");
        }
        if (clientCa != null && tlsCert == null) {
            throw new IllegalArgumentException("--client-ca needs HTTPS: give --tls-cert and --tls-key too");
        }
        return new BrokerConfig(host, port, dataDir,
                sources != null ? sources : dataDir.resolve("sources"), Optional.ofNullable(database),
                Optional.ofNullable(oidcIssuer).map(issuer -> new BrokerConfig.Oidc(issuer, oidcAudience, oidcClockSkew)),
                Optional.ofNullable(tlsCert).map(cert -> new BrokerConfig.Tls(cert, tlsKey, Optional.ofNullable(clientCa))),
                grantTtl, maxRequestBytes, auditOrigin, purposeHierarchy(), jdbcAllowedHosts, shutdownGrace,
                csvCheckBytes, decodeThreads != null ? decodeThreads
                        : Math.min(BrokerConfig.DEFAULT_DECODE_THREADS, BrokerConfig.MAX_DECODE_THREADS), peerTimeout,
                new BrokerConfig.StreamLimits(maxStreams, maxStreamsPerConsumer, streamIdleTimeout),
                new BrokerConfig.SourceLimits(sourceThreads, maxSourceOperationsPerOrganisation));
    }

    private PurposeHierarchy purposeHierarchy() {
        if (purposes == null) {
            return PurposeHierarchy.DEFAULT;
        }
        try {
            Map<String, List<String>> children = new ObjectMapper().readValue(purposes.toFile(),
                    new TypeReference<Map<String, List<String>>>() {});
            return PurposeHierarchy.of(children);
        } catch (JsonProcessingException e) {
            // Jackson's own message spans lines and quotes its internals: say what and where.
            var where = e.getLocation();
            throw new StartupFailure("cannot read the purposes file " + purposes + ": " + e.getOriginalMessage()
                    + (where == null ? "" : " (line " + where.getLineNr() + ", column " + where.getColumnNr() + ")"), e);
        } catch (java.io.IOException | IllegalArgumentException e) {
            throw new StartupFailure("cannot read the purposes file " + purposes + ": " + e.getMessage(), e);
        }
    }

    /** Said before the broker starts, in the option's words, rather than in the TLS library's once it listens. */
    private static void readable(Path file, String option) {
        if (file == null) {
            return;
        }
        String why = !Files.exists(file) ? "no such file"
                : Files.isDirectory(file) ? "a directory, not a file"
                : !Files.isReadable(file) ? "not readable by this user" : null;
        if (why != null) {
            throw new StartupFailure("cannot read " + option + " " + file + ": " + why, null);
        }
    }

    /** {@code --log-format text|json}. */
    static final class LogFormatConverter implements CommandLine.ITypeConverter<LogFormat> {
        @Override
        public LogFormat convert(String value) {
            try {
                return LogFormat.parse(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException("expected text or json, was '" + value + "'");
            }
        }
    }

    /** {@code --log-level}: one of Logback's level names, in any case. */
    static final class LogLevelConverter implements CommandLine.ITypeConverter<Level> {
        @Override
        public Level convert(String value) {
            Level level = Level.toLevel(value, null);
            if (level == null || level == Level.ALL || level == Level.OFF) {
                throw new CommandLine.TypeConversionException("expected error, warn, info, debug or trace, was '"
                        + value + "'");
            }
            return level;
        }
    }
}
