package io.sluice.broker.cli;

import ch.qos.logback.classic.Level;
import io.sluice.broker.Broker;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.broker.BrokerConfig;
import io.sluice.broker.Secret;
import java.io.PrintWriter;
import java.util.Collection;
import java.util.Set;
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
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code sluice serve}: runs a broker until SIGTERM or SIGINT, then shuts it down gracefully
 * (running streams get {@code --shutdown-grace} to finish; see {@link Broker#close()}) and exits 0.
 */
@Command(name = "serve",
        mixinStandardHelpOptions = true,
        description = {"Runs a broker.",
            "With no options: 127.0.0.1:8470, H2 under ./data,",
            "sources under ./data/sources/<organisation>/ and the development token issuer (local use only)."},
        footerHeading = "%nConfiguration file and environment:%n",
        footer = {
            "Every option can also be set in the environment, as SLUICE_ and the option's name in upper snake case"
                + " (SLUICE_PORT=8470, SLUICE_DATA_DIR=/var/lib/sluice, SLUICE_JDBC_ALLOWED_HOSTS=db1,db2), or in a"
                + " file given with --config FILE (or SLUICE_CONFIG=FILE): YAML (.yaml, .yml) or Java properties"
                + " (.properties), keys named as the options without their dashes, for example:",
            "",
            "    port: 8470",
            "    data-dir: /var/lib/sluice",
            "    max-streams: 64",
            "    jdbc-allowed-hosts: [db1.internal, db2.internal]",
            "    db: jdbc:postgresql://db.internal:5432/sluice",
            "    db-user: sluice",
            "    db-password-file: /run/secrets/sluice-db",
            "",
            "The command line wins over the environment, which wins over the file; the defaults shown above already"
                + " include both. An empty value counts as not set. A key the file does not know is an error."
                + " Relative paths are relative to the working directory.",
            "Secrets are read from files only (--db-password-file, also in the file and the environment); a --db URL"
                + " that carries a password is refused. --print-config shows every value and where it came from.",
            "",
            "Examples:",
            "  ./sluice serve --port 8470",
            "  ./sluice serve --config /etc/sluice/sluice.yaml --print-config",
            "  SLUICE_DB=jdbc:postgresql://127.0.0.1:5432/sluice SLUICE_DB_USER=sluice \\",
            "      SLUICE_DB_PASSWORD_FILE=/run/secrets/sluice-db ./sluice serve --oidc-issuer http://127.0.0.1:8080/realms/dataspace",
            "  ./sluice serve --tls-cert ca/server.crt --tls-key ca/server.key --client-ca ca/ca.crt"})
public final class ServeCommand implements Callable<Integer> {
    /** The option naming the configuration file; its own value comes from the command line or SLUICE_CONFIG. */
    static final String CONFIG_OPTION = "--config";
    static final String PRINT_CONFIG_OPTION = "--print-config";
    private static final Logger LOG = LoggerFactory.getLogger(ServeCommand.class);

    @Spec
    CommandSpec spec;

    @Option(names = CONFIG_OPTION, paramLabel = "FILE", description = "read options from this YAML or properties file"
        + " (see below); the command line and the environment win over it")
    Path configFile;

    @Option(names = PRINT_CONFIG_OPTION, description = "print the effective configuration, each value with where it"
        + " came from (command line, environment, file, default), and exit")
    boolean printConfig;

    @Option(names = "--host", paramLabel = "ADDRESS", defaultValue = BrokerConfig.DEFAULT_HOST, description = "address to bind (default: ${DEFAULT-VALUE})")
    String host;

    @Option(names = "--port", paramLabel = "PORT", defaultValue = "8470", description = "TCP port; 0 picks a free one (default: ${DEFAULT-VALUE})")
    int port;

    @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = "data", description = "database and keys (default: ${DEFAULT-VALUE})")
    Path dataDir;

    @Option(names = "--sources", paramLabel = "DIR", description = "root of the organisations' source directories (default: DATA_DIR/sources)")
    Path sources;

    @Option(names = "--db", paramLabel = "JDBC_URL", description = "JDBC URL of an external database (default: embedded H2 under DATA_DIR);"
        + " never with a password in it: see --db-password-file")
    String database;

    @Option(names = "--db-user", paramLabel = "USER", description = "the user --db logs in as (or user= in the URL)")
    String databaseUser;

    @Option(names = "--db-password-file", paramLabel = "FILE", description = "file holding the password of --db-user"
        + " (a trailing line end is dropped); readable by the broker's user only")
    Path databasePasswordFile;

    @Option(names = "--grant-ttl", paramLabel = "DURATION", defaultValue = "PT24H", description = "how long a grant stays valid, ISO-8601 (default: ${DEFAULT-VALUE})")
    Duration grantTtl;

    @Option(names = "--max-request-bytes", paramLabel = "BYTES", defaultValue = "1048576", description = "largest request body accepted (default: ${DEFAULT-VALUE})")
    long maxRequestBytes;

    @Option(names = "--audit-origin", paramLabel = "NAME", defaultValue = BrokerConfig.DEFAULT_AUDIT_ORIGIN,
            description = "name of the audit log in its signed checkpoints (default: ${DEFAULT-VALUE})")
    String auditOrigin;

    @Option(names = "--oidc-issuer", paramLabel = "URL", description = "accept tokens of this OIDC issuer (a Keycloak realm URL); turns the development issuer off")
    URI oidcIssuer;

    @Option(names = "--dev-issuer-on-network", description = "allow the development token issuer (no --oidc-issuer) on an"
            + " address other machines can reach; anyone there can then act as anyone (default: refused)")
    boolean devIssuerOnNetwork;

    @Option(names = "--oidc-audience", paramLabel = "AUDIENCE", defaultValue = BrokerConfig.Oidc.DEFAULT_AUDIENCE,
            description = "the audience tokens must carry (default: ${DEFAULT-VALUE})")
    String oidcAudience;

    @Option(names = "--oidc-clock-skew", paramLabel = "DURATION", defaultValue = "PT10S",
            description = "tolerated clock difference for expiry and not-before, ISO-8601 (default: ${DEFAULT-VALUE})")
    Duration oidcClockSkew;

    @Option(names = "--oidc-page-client", paramLabel = "CLIENT_ID", defaultValue = BrokerConfig.Oidc.DEFAULT_PAGE_CLIENT,
            description = "the issuer's public client (authorization code with PKCE) the compliance page /ui/audit/ signs in"
                    + " with (default: ${DEFAULT-VALUE})")
    String oidcPageClient;

    @Option(names = "--tls-cert", paramLabel = "FILE", description = "serve HTTPS with this certificate (PEM)")
    Path tlsCert;

    @Option(names = "--tls-key", paramLabel = "FILE", description = "the certificate's private key (PKCS#8 PEM)")
    Path tlsKey;

    @Option(names = "--client-ca", paramLabel = "FILE", description = "the data space CA (PEM): stream endpoints then require a node certificate it issued")
    Path clientCa;

    @Option(names = "--purposes", paramLabel = "FILE", description = {"JSON file of the purpose hierarchy: {\"parent\": [\"child\", ...], ...}",
        "(default: the built-in hierarchy, e.g. model-training under scientific-research); policies may name only",
        "its purposes (a purpose with no nesting: \"name\": []; {} accepts any purpose)"})
    Path purposes;

    @Option(names = "--jdbc-allowed-hosts", paramLabel = "HOST", split = ",", description = "database hosts JDBC sources may reach (default: none: JDBC sources off)")
    List<String> jdbcAllowedHosts = List.of();

    @Option(names = "--shutdown-grace", paramLabel = "DURATION", defaultValue = "PT30S", description = {"on SIGTERM, how long running streams may"
        + " take to finish before they are ended as aborted, ISO-8601 (default: ${DEFAULT-VALUE})",
        "New requests are refused with 503 meanwhile."})
    Duration shutdownGrace;

    @Option(names = "--csv-check-bytes", paramLabel = "BYTES", defaultValue = "67108864", description = {"how much of a CSV source"
        + " registration converts to find malformed rows: the whole file up to this size, else its leading blocks up"
        + " to it (default: ${DEFAULT-VALUE}, 64 MiB)"})
    long csvCheckBytes;

    @Option(names = "--decode-threads", paramLabel = "N", description = {"how many threads one stream may decode a"
        + " batch on: a Parquet batch's columns are decoded side by side (default: the cores the JVM sees, "
        + "1 to 64)", "Concurrent streams share the cores; 1 decodes each stream on one thread."})
    Integer decodeThreads;

    @Option(names = "--peer-timeout", paramLabel = "DURATION", defaultValue = "PT30S", description = {"on a shared database (--db), how long"
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

    @Option(names = "--stream-idle-timeout", paramLabel = "DURATION", defaultValue = "PT2M", description = "how long a stream waits for a client"
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

    /**
     * The provider of serve's option values from {@code environment} and the configuration file;
     * {@link SluiceCommand#commandLine()} installs it with the process environment.
     */
    static ConfigDefaults defaults(Map<String, String> environment) {
        return new ConfigDefaults(environment, CONFIG_OPTION, Set.of(PRINT_CONFIG_OPTION));
    }
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

    /**
     * Without {@code --oidc-issuer} anyone who reaches {@code POST /v1/dev/token} can mint any
     * identity; on a loopback address that is the developer alone, anywhere else it is the network.
     */
    void refuseDevIssuerOnNetwork() {
        if (oidcIssuer != null || devIssuerOnNetwork || loopback(host)) {
            return;
        }
        throw new IllegalArgumentException("--host " + host + " can be reached from other machines, and without"
                + " --oidc-issuer the development token issuer would let anyone there act as anyone: give"
                + " --oidc-issuer URL, or bind 127.0.0.1, or (a trusted test network only) --dev-issuer-on-network");
    }

    private static boolean loopback(String host) {
        try {
            return java.net.InetAddress.getByName(host).isLoopbackAddress();
        } catch (java.net.UnknownHostException e) {
            return true; // nothing can be bound there: binding fails next, with its own message naming the host
        }
    }

    @Override
    public Integer call() throws InterruptedException, java.io.IOException {
        Logging.configure(logFormat, logLevel, accessLog);
        BrokerConfig config = config();
        if (printConfig) {
            printConfig(spec.commandLine().getOut());
            return 0;
        }
        refuseDevIssuerOnNetwork();
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
        Thread hook = Thread.ofPlatform().name("sluice-shutdown").unstarted(() -> {
            broker.close();
            Logging.flushAccessLog();
        });
        Runtime.getRuntime().addShutdownHook(hook);
        System.out.println("listening on " + broker.uri());
        System.out.println("sources: " + config.sourcesDir() + "/<organisation>/   data: " + config.dataDir());
        System.out.flush();
        stopRequested.await();
        System.out.println("shutting down (grace " + config.shutdownGrace() + ")");
        System.out.flush();
        broker.close();
        Logging.flushAccessLog();
        System.out.println("stopped");
        System.out.flush();
        return 0;
    }

    /** The broker configuration the options describe. */
    public BrokerConfig config() throws java.io.IOException {
        if ((tlsCert == null) != (tlsKey == null)) {
            throw new IllegalArgumentException("--tls-cert and --tls-key go together");
        }
        if (clientCa != null && tlsCert == null) {
            throw new IllegalArgumentException("--client-ca needs HTTPS: give --tls-cert and --tls-key too");
        }
        if (database == null && (databaseUser != null || databasePasswordFile != null)) {
            throw new IllegalArgumentException("--db-user and --db-password-file need --db");
        }
        Optional<BrokerConfig.ExternalDatabase> externalDatabase = Optional.ofNullable(database)
                .map(url -> new BrokerConfig.ExternalDatabase(url, Optional.ofNullable(databaseUser),
                        Optional.ofNullable(databasePasswordFile).map(Secret::readFile)));
        return new BrokerConfig(host, port, dataDir,
                sources != null ? sources : dataDir.resolve("sources"), externalDatabase,
                Optional.ofNullable(oidcIssuer).map(issuer -> new BrokerConfig.Oidc(issuer, oidcAudience, oidcClockSkew, oidcPageClient)),
                Optional.ofNullable(tlsCert).map(cert -> new BrokerConfig.Tls(cert, tlsKey, Optional.ofNullable(clientCa))),
                grantTtl, maxRequestBytes, auditOrigin, purposeHierarchy(), jdbcAllowedHosts, shutdownGrace,
                csvCheckBytes, decodeThreads != null ? decodeThreads
                        : Math.min(BrokerConfig.DEFAULT_DECODE_THREADS, BrokerConfig.MAX_DECODE_THREADS), peerTimeout,
                new BrokerConfig.StreamLimits(maxStreams, maxStreamsPerConsumer, streamIdleTimeout),
                new BrokerConfig.SourceLimits(sourceThreads, maxSourceOperationsPerOrganisation));
    }

    /**
     * One line per option that the environment or the file may set: its key, its value and where the
     * value came from. Secrets are files, so only their paths are shown.
     */
    private void printConfig(PrintWriter out) {
        Optional<ConfigDefaults> defaults = spec.defaultValueProvider() instanceof ConfigDefaults provider
                ? Optional.of(provider) : Optional.empty();
        CommandLine.ParseResult parsed = spec.commandLine().getParseResult();
        for (OptionSpec option : spec.options()) {
            if (option.usageHelp() || option.versionHelp() || option.longestName().equals(PRINT_CONFIG_OPTION)) {
                continue;
            }
            String from = parsed != null && parsed.hasMatchedOption(option) ? "command line"
                    : defaults.flatMap(provider -> provider.sourceOf(option)).orElse("default");
            Object value = option.getValue();
            String shown = value == null ? "(none)"
                    : value instanceof Collection<?> items ? String.join(",", items.stream().map(String::valueOf).toList())
                    : String.valueOf(value);
            out.printf("%s = %s    (%s)%n", ConfigDefaults.key(option), shown, from);
        }
        out.flush();
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
