package io.sluice.broker.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.broker.BrokerConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code sluice serve}'s options from the command line, the environment ({@code SLUICE_*}) and a
 * configuration file, in that order of precedence, and its secrets from files.
 */
class ServeConfigurationTest {

    @TempDir
    Path dir;

    private static BrokerConfig parse(Map<String, String> environment, String... args) throws Exception {
        CommandLine root = SluiceCommand.commandLine(environment);
        List<String> all = new ArrayList<>(List.of("serve"));
        all.addAll(List.of(args));
        root.parseArgs(all.toArray(String[]::new));
        ServeCommand serve = root.getSubcommands().get("serve").getCommand();
        return serve.config();
    }

    private static ServeCommand serve(Map<String, String> environment, String... args) {
        CommandLine root = SluiceCommand.commandLine(environment);
        List<String> all = new ArrayList<>(List.of("serve"));
        all.addAll(List.of(args));
        root.parseArgs(all.toArray(String[]::new));
        return root.getSubcommands().get("serve").getCommand();
    }

    /** What {@code sluice serve ARGS} prints (output and errors together) and its exit code. */
    private record Run(int exitCode, String output) {}

    private static Run execute(Map<String, String> environment, String... args) {
        CommandLine root = SluiceCommand.commandLine(environment);
        StringWriter out = new StringWriter();
        root.setOut(new PrintWriter(out, true));
        root.setErr(new PrintWriter(out, true));
        root.getSubcommands().get("serve").setOut(new PrintWriter(out, true)).setErr(new PrintWriter(out, true));
        List<String> all = new ArrayList<>(List.of("serve"));
        all.addAll(List.of(args));
        return new Run(root.execute(all.toArray(String[]::new)), out.toString());
    }

    private Path write(String name, String content) throws Exception {
        Path file = dir.resolve(name);
        Files.writeString(file, content);
        return file;
    }

    private Path yaml() throws Exception {
        return write("sluice.yaml", """
                port: 9001
                grant-ttl: PT1H
                data-dir: /srv/from-file
                jdbc-allowed-hosts: [file-a.internal, file-b.internal]
                max-streams: 60
                """);
    }

    @Test
    void aFileSetsOptionsByTheirNames() throws Exception {
        BrokerConfig config = parse(Map.of(), "--config", yaml().toString());
        assertThat(config.port()).isEqualTo(9001);
        assertThat(config.grantTtl()).isEqualTo(Duration.ofHours(1));
        assertThat(config.dataDir()).isEqualTo(Path.of("/srv/from-file"));
        assertThat(config.sourcesDir()).isEqualTo(Path.of("/srv/from-file/sources"));
        assertThat(config.jdbcAllowedHosts()).containsExactly("file-a.internal", "file-b.internal");
        assertThat(config.streamLimits().perBroker()).isEqualTo(60);
        assertThat(config.shutdownGrace()).as("not in the file: the option's default").isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void theEnvironmentWinsOverTheFileAndTheCommandLineOverBoth() throws Exception {
        Path file = yaml();
        Map<String, String> environment = Map.of("SLUICE_PORT", "9002", "SLUICE_GRANT_TTL", "PT2H",
                "SLUICE_DATA_DIR", "/srv/from-env", "SLUICE_JDBC_ALLOWED_HOSTS", "env.internal");

        BrokerConfig fromEnvironment = parse(environment, "--config", file.toString());
        assertThat(fromEnvironment.port()).isEqualTo(9002);
        assertThat(fromEnvironment.grantTtl()).isEqualTo(Duration.ofHours(2));
        assertThat(fromEnvironment.dataDir()).isEqualTo(Path.of("/srv/from-env"));
        assertThat(fromEnvironment.jdbcAllowedHosts()).containsExactly("env.internal");
        assertThat(fromEnvironment.streamLimits().perBroker()).as("only in the file").isEqualTo(60);

        BrokerConfig fromFlags = parse(environment, "--config", file.toString(), "--port", "9003",
                "--grant-ttl", "PT3H", "--data-dir", "/srv/from-flag", "--jdbc-allowed-hosts", "flag-a,flag-b");
        assertThat(fromFlags.port()).isEqualTo(9003);
        assertThat(fromFlags.grantTtl()).isEqualTo(Duration.ofHours(3));
        assertThat(fromFlags.dataDir()).isEqualTo(Path.of("/srv/from-flag"));
        assertThat(fromFlags.jdbcAllowedHosts()).containsExactly("flag-a", "flag-b");

        BrokerConfig defaults = parse(Map.of());
        assertThat(defaults.port()).isEqualTo(8470);
        assertThat(defaults.grantTtl()).isEqualTo(Duration.ofHours(24));
        assertThat(defaults.jdbcAllowedHosts()).isEmpty();
    }

    @Test
    void theCompliancePagesClientDefaultsToTheRealmsAndCanBeNamed() throws Exception {
        assertThat(parse(Map.of(), "--oidc-issuer", "http://127.0.0.1:8080/realms/dataspace").oidc().orElseThrow()
                .pageClientId()).isEqualTo("sluice-audit-ui");
        assertThat(parse(Map.of("SLUICE_OIDC_PAGE_CLIENT", "audit-page"), "--oidc-issuer",
                "http://127.0.0.1:8080/realms/dataspace").oidc().orElseThrow().pageClientId()).isEqualTo("audit-page");
        assertThatThrownBy(() -> new BrokerConfig.Oidc(java.net.URI.create("http://127.0.0.1:8080/realms/dataspace"),
                "sluice", Duration.ZERO, "two words"))
                .hasMessage("the compliance page's client id must be 1-200 printable ASCII characters without spaces,"
                        + " was 'two words'");
    }

    @Test
    void aPropertiesFileWorksLikeYaml() throws Exception {
        Path file = write("sluice.properties", """
                port=9004
                stream-idle-timeout=PT5M
                jdbc-allowed-hosts=p1.internal,p2.internal
                # a comment
                max-streams-per-consumer=3
                """);
        BrokerConfig config = parse(Map.of(), "--config", file.toString());
        assertThat(config.port()).isEqualTo(9004);
        assertThat(config.streamLimits().idleTimeout()).isEqualTo(Duration.ofMinutes(5));
        assertThat(config.streamLimits().perConsumer()).isEqualTo(3);
        assertThat(config.jdbcAllowedHosts()).containsExactly("p1.internal", "p2.internal");
    }

    @Test
    void theFileIsNamedWithConfigEqualsOrSpaceOrTheEnvironment() throws Exception {
        Path file = yaml();
        assertThat(parse(Map.of(), "--config=" + file).port()).isEqualTo(9001);
        assertThat(parse(Map.of(), "--port", "1", "--config", file.toString()).port()).isEqualTo(1);
        assertThat(parse(Map.of("SLUICE_CONFIG", file.toString())).port()).isEqualTo(9001);
        Path other = write("other.yaml", "port: 9005\n");
        assertThat(parse(Map.of("SLUICE_CONFIG", file.toString()), "--config", other.toString()).port())
                .as("--config wins over SLUICE_CONFIG").isEqualTo(9005);
    }

    @Test
    void anEmptyValueCountsAsNotSet() throws Exception {
        Path file = write("sluice.yaml", "port:\ngrant-ttl: \"\"\n");
        BrokerConfig config = parse(Map.of("SLUICE_DB", "", "SLUICE_HOST", ""), "--config", file.toString());
        assertThat(config.port()).isEqualTo(8470);
        assertThat(config.grantTtl()).isEqualTo(Duration.ofHours(24));
        assertThat(config.database()).isEmpty();
        assertThat(config.host()).isEqualTo("127.0.0.1");
    }

    @Test
    void environmentVariablesOfOtherToolsAreNoError() throws Exception {
        BrokerConfig config = parse(Map.of("SLUICE_TEST_POSTGRES_URL", "jdbc:postgresql://x/y", "SLUICE_TOKEN", "t",
                "SLUICE_KEYSTORE_PASSWORD", "p", "SLUICE_MAX_STREAMS", "90"));
        assertThat(config.streamLimits().perBroker()).isEqualTo(90);
        assertThat(config.database()).isEmpty();
    }

    @Test
    void anUnknownKeyInTheFileIsAnErrorNamingTheClosestKnownOne() throws Exception {
        Path file = write("sluice.yaml", "port: 9001\nmax-stream: 4\n");
        Run run = execute(Map.of(), "--config", file.toString());
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.output()).isEqualTo("sluice: " + file + ": unknown key 'max-stream' (did you mean 'max-streams'?)\n");

        Path far = write("far.properties", "completely-unrelated=1\n");
        assertThat(execute(Map.of(), "--config", far.toString()).output())
                .isEqualTo("sluice: " + far + ": unknown key 'completely-unrelated'\n");
    }

    @Test
    void aPasswordKeyIsUnknownSinceSecretsComeFromFiles() throws Exception {
        Path file = write("sluice.yaml", "db-password: hunter2\n");
        assertThat(execute(Map.of(), "--config", file.toString()).output())
                .isEqualTo("sluice: " + file + ": unknown key 'db-password' (did you mean 'db-password-file'?)\n")
                .doesNotContain("hunter2");
    }

    @Test
    void theFileMustBeFlatAndSingleValuedWhereTheOptionIs() throws Exception {
        Path nested = write("nested.yaml", "server:\n  port: 1\n");
        assertThat(execute(Map.of(), "--config", nested.toString()).output()).isEqualTo("sluice: " + nested
                + ": key 'server' must be a value or a list, not a map (keys are the options' names, e.g. 'data-dir', never nested)\n");
        Path list = write("list.yaml", "port: [1, 2]\n");
        assertThat(execute(Map.of(), "--config", list.toString()).output())
                .isEqualTo("sluice: " + list + ": key 'port' takes one value, not a list\n");
        Path itself = write("itself.yaml", "config: other.yaml\n");
        assertThat(execute(Map.of(), "--config", itself.toString()).output())
                .isEqualTo("sluice: " + itself + ": unknown key 'config' (a configuration file cannot name another one)\n");
        Path twice = write("twice.yaml", "port: 1\nport: 2\n");
        assertThat(execute(Map.of(), "--config", twice.toString()).output())
                .startsWith("sluice: cannot read configuration file " + twice + ": Duplicate field 'port'");
    }

    @Test
    void aMissingOrUnknownKindOfFileIsAnError() throws Exception {
        assertThat(execute(Map.of(), "--config", dir.resolve("none.yaml").toString()).output())
                .isEqualTo("sluice: configuration file " + dir.resolve("none.yaml") + " does not exist or is not a regular file\n");
        Path toml = write("sluice.toml", "port = 1\n");
        assertThat(execute(Map.of("SLUICE_CONFIG", toml.toString())).output())
                .isEqualTo("sluice: configuration file " + toml + " must end in .yaml, .yml or .properties\n");
    }

    @Test
    void aValueThatDoesNotConvertSaysWhereItCameFrom() throws Exception {
        Run fromEnvironment = execute(Map.of("SLUICE_PORT", "eighty"));
        assertThat(fromEnvironment.exitCode()).isEqualTo(2);
        assertThat(fromEnvironment.output())
                .isEqualTo("sluice: Invalid value for option '--port': 'eighty' is not an int (from environment variable SLUICE_PORT)\n");

        Path file = write("sluice.yaml", "grant-ttl: 1 hour\n");
        assertThat(execute(Map.of(), "--config", file.toString()).output()).startsWith(
                "sluice: Invalid value for option '--grant-ttl': cannot convert '1 hour' to class java.time.Duration")
                .endsWith("(from " + file + ", key 'grant-ttl')\n");

        assertThat(execute(Map.of(), "--port", "eighty").output()).as("a flag's own error keeps picocli's usage text")
                .startsWith("Invalid value for option '--port': 'eighty' is not an int\nUsage: sluice serve");
    }

    @Test
    void aPasswordFileReachesTheConfigurationButNeverItsText(@TempDir Path secrets) throws Exception {
        Path password = secrets.resolve("db-password");
        Files.writeString(password, "s3cret-Pa55\n");
        Files.setPosixFilePermissions(password, PosixFilePermissions.fromString("rw-------"));
        Path file = write("sluice.yaml", "db: jdbc:postgresql://db.internal:5432/sluice\ndb-password-file: " + password + "\n");

        BrokerConfig config = parse(Map.of("SLUICE_DB_USER", "broker"), "--config", file.toString());
        BrokerConfig.ExternalDatabase database = config.database().orElseThrow();
        assertThat(database.url()).isEqualTo("jdbc:postgresql://db.internal:5432/sluice");
        assertThat(database.user()).contains("broker");
        assertThat(database.password().orElseThrow().value()).as("the trailing line end is dropped").isEqualTo("s3cret-Pa55");
        assertThat(database.password().orElseThrow().file()).isEqualTo(password);
        assertThat(config.toString()).doesNotContain("s3cret").contains("(from " + password + ")");
        assertThat(config.jdbcUrl()).isEqualTo("jdbc:postgresql://db.internal:5432/sluice");
    }

    @Test
    void aDatabaseUrlCarryingAPasswordIsRefused() {
        String message = "the database URL (--db) must not carry a password: everyone on the machine can read a command"
                + " line; put the password in a file readable by the broker only and give it with --db-password-file FILE"
                + " (and the user with --db-user)";
        for (String url : List.of("jdbc:postgresql://db/sluice?user=broker&password=hunter2",
                "jdbc:postgresql://db/sluice?PASSWORD=hunter2", "jdbc:postgresql://db/sluice?sslpassword=hunter2",
                "jdbc:postgresql://broker:hunter2@db:5432/sluice", "jdbc:h2:file:/tmp/x;USER=sa;PASSWORD=hunter2")) {
            assertThatThrownBy(() -> parse(Map.of(), "--db", url)).as(url)
                    .isInstanceOf(IllegalArgumentException.class).hasMessage(message);
        }
        assertThatThrownBy(() -> parse(Map.of("SLUICE_DB", "jdbc:postgresql://db/sluice?password=x")))
                .as("from the environment too").hasMessage(message);
        Run run = execute(Map.of(), "--db", "jdbc:postgresql://db/sluice?password=hunter2");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.output()).isEqualTo("sluice: " + message + "\n");
    }

    @Test
    void theDevelopmentIssuerIsRefusedOnAnAddressOtherMachinesReach() {
        Run run = execute(Map.of(), "--host", "0.0.0.0");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.output()).isEqualTo("sluice: --host 0.0.0.0 can be reached from other machines, and without"
                + " --oidc-issuer the development token issuer would let anyone there act as anyone: give"
                + " --oidc-issuer URL, or bind 127.0.0.1, or (a trusted test network only) --dev-issuer-on-network\n");
        assertThat(execute(Map.of("SLUICE_HOST", "0.0.0.0")).exitCode()).as("from the environment too").isEqualTo(2);
    }

    @Test
    void theDevelopmentIssuerOnTheNetworkIsAllowedWhenInsistedOnOrWithAnIssuerAndAnUnknownHostIsLeftToBinding() {
        // The check alone: starting a broker on 0.0.0.0 is not something a test does.
        assertThatCode(() -> serve(Map.of(), "--host", "0.0.0.0", "--dev-issuer-on-network").refuseDevIssuerOnNetwork())
                .doesNotThrowAnyException();
        assertThatCode(() -> serve(Map.of(), "--host", "0.0.0.0", "--oidc-issuer", "https://id.example/realms/x")
                .refuseDevIssuerOnNetwork()).doesNotThrowAnyException();
        assertThatCode(() -> serve(Map.of(), "--host", "no-such-host.invalid").refuseDevIssuerOnNetwork())
                .as("binding says what is wrong with a host that does not resolve").doesNotThrowAnyException();
        assertThatThrownBy(() -> serve(Map.of(), "--host", "0.0.0.0").refuseDevIssuerOnNetwork())
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aUserGivenTwiceOrALoginWithoutDatabaseIsRefused(@TempDir Path secrets) throws Exception {
        Path password = Files.writeString(secrets.resolve("pw"), "x");
        assertThatThrownBy(() -> parse(Map.of(), "--db", "jdbc:postgresql://db/sluice?user=a", "--db-user", "b"))
                .hasMessage("the database user is given twice: as user= in the URL (--db) and with --db-user; keep one");
        assertThatThrownBy(() -> parse(Map.of(), "--db-password-file", password.toString()))
                .hasMessage("--db-user and --db-password-file need --db");
        assertThat(parse(Map.of(), "--db", "jdbc:postgresql://db/sluice?user=a&ssl=true").database().orElseThrow().user())
                .isEmpty();
    }

    @Test
    void aMissingOrEmptyPasswordFileIsAnError(@TempDir Path secrets) throws Exception {
        Path empty = Files.writeString(secrets.resolve("empty"), "\n");
        assertThatThrownBy(() -> parse(Map.of(), "--db", "jdbc:postgresql://db/s", "--db-password-file", empty.toString()))
                .hasMessage("the secret in " + empty + " is empty");
        Path missing = secrets.resolve("missing");
        assertThatThrownBy(() -> parse(Map.of(), "--db", "jdbc:postgresql://db/s", "--db-password-file", missing.toString()))
                .hasMessageStartingWith("cannot read the secret file " + missing + ": java.nio.file.NoSuchFileException");
    }

    @Test
    void printConfigNamesEachValuesSource(@TempDir Path secrets) throws Exception {
        Path password = Files.writeString(secrets.resolve("pw"), "hunter2");
        Path file = write("sluice.yaml", "port: 9001\nmax-streams: 60\ndb-password-file: " + password + "\n");
        Run run = execute(Map.of("SLUICE_MAX_STREAMS", "50", "SLUICE_DB", "jdbc:postgresql://db/s"),
                "--config", file.toString(), "--host", "0.0.0.0", "--print-config");
        assertThat(run.exitCode()).isZero();
        assertThat(run.output()).contains(
                "config = " + file + "    (command line)\n",
                "host = 0.0.0.0    (command line)\n",
                "port = 9001    (" + file + ", key 'port')\n",
                "max-streams = 50    (environment variable SLUICE_MAX_STREAMS)\n",
                "db = jdbc:postgresql://db/s    (environment variable SLUICE_DB)\n",
                "db-password-file = " + password + "    (" + file + ", key 'db-password-file')\n",
                "grant-ttl = PT24H    (default)\n",
                "jdbc-allowed-hosts =     (default)\n")
                .doesNotContain("hunter2", "print-config");
    }

    @Test
    void helpExplainsTheFileAndTheEnvironmentEvenWhenTheFileIsBroken() throws Exception {
        Path broken = write("broken.yaml", "prot: 1\n");
        Run run = execute(Map.of("SLUICE_CONFIG", broken.toString(), "SLUICE_PORT", "9006"), "--help");
        assertThat(run.exitCode()).isZero();
        assertThat(run.output()).contains("Configuration file and environment:", "SLUICE_DATA_DIR=/var/lib/sluice",
                "    db-password-file: /run/secrets/sluice-db", "The command line wins over the environment, which wins over the file")
                .containsPattern("--port=PORT\\s+TCP port; 0 picks a free one \\(default: 9006\\)");
    }

    @Test
    void everyOptionHasItsKeyAndVariable() {
        CommandLine serve = SluiceCommand.commandLine(new HashMap<>()).getSubcommands().get("serve");
        var option = serve.getCommandSpec().findOption("--max-source-operations-per-organisation");
        assertThat(ConfigDefaults.key(option)).isEqualTo("max-source-operations-per-organisation");
        assertThat(ConfigDefaults.environmentVariable(option)).isEqualTo("SLUICE_MAX_SOURCE_OPERATIONS_PER_ORGANISATION");
    }
}
