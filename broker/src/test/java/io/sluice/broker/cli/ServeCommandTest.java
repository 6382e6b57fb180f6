package io.sluice.broker.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import io.sluice.broker.BrokerConfig;
import io.sluice.broker.logging.LogFormat;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code sluice serve}'s options mapped to the broker configuration. */
class ServeCommandTest {

    private static BrokerConfig parse(String... args) throws Exception {
        ServeCommand command = new ServeCommand();
        new CommandLine(command).parseArgs(args);
        return command.config();
    }

    @Test
    void shutdownGraceDefaultsToThirtySeconds() throws Exception {
        BrokerConfig config = parse();
        assertThat(config.shutdownGrace()).isEqualTo(Duration.ofSeconds(30)).isEqualTo(BrokerConfig.DEFAULT_SHUTDOWN_GRACE);
        assertThat(BrokerConfig.embedded(Path.of("data")).shutdownGrace()).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void mapsAnExplicitShutdownGrace() throws Exception {
        assertThat(parse("--shutdown-grace", "PT2S").shutdownGrace()).isEqualTo(Duration.ofSeconds(2));
        assertThat(parse("--shutdown-grace", "PT0S").shutdownGrace()).isZero();
        assertThat(BrokerConfig.embedded(Path.of("data")).withShutdownGrace(Duration.ofMillis(1500)).shutdownGrace())
                .isEqualTo(Duration.ofMillis(1500));
    }

    @Test
    void refusesANegativeOrHugeShutdownGrace() {
        assertThatThrownBy(() -> parse("--shutdown-grace", "PT-1S"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("shutdownGrace must be in 0..3600 s, was -1000 ms");
        assertThatThrownBy(() -> BrokerConfig.embedded(Path.of("data")).withShutdownGrace(Duration.ofHours(2)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("shutdownGrace must be in 0..3600 s, was 7200000 ms");
    }

    @Test
    void csvCheckBytesDefaultsTo64MiB() throws Exception {
        assertThat(parse().csvCheckBytes()).isEqualTo(64L << 20).isEqualTo(BrokerConfig.DEFAULT_CSV_CHECK_BYTES);
        assertThat(BrokerConfig.embedded(Path.of("data")).csvCheckBytes()).isEqualTo(64L << 20);
    }

    @Test
    void mapsAnExplicitCsvCheckBytesAndRefusesZero() throws Exception {
        assertThat(parse("--csv-check-bytes", "1024").csvCheckBytes()).isEqualTo(1024);
        assertThat(BrokerConfig.embedded(Path.of("data")).withCsvCheckBytes(4096).csvCheckBytes()).isEqualTo(4096);
        assertThatThrownBy(() -> parse("--csv-check-bytes", "0"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("csvCheckBytes must be >= 1, was 0");
    }

    @Test
    void decodeThreadsDefaultToTheCoresTheJvmSeesAndMustBeOneTo64() throws Exception {
        int cores = Math.min(Runtime.getRuntime().availableProcessors(), 64);
        assertThat(parse().decodeThreads()).isEqualTo(cores);
        assertThat(BrokerConfig.embedded(Path.of("data")).decodeThreads()).isEqualTo(cores);
        assertThat(parse("--decode-threads", "1").decodeThreads()).isEqualTo(1);
        assertThat(BrokerConfig.embedded(Path.of("data")).withDecodeThreads(8).decodeThreads()).isEqualTo(8);
        assertThatThrownBy(() -> parse("--decode-threads", "0"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("decodeThreads must be in 1..64, was 0");
        assertThatThrownBy(() -> parse("--decode-threads", "65"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("decodeThreads must be in 1..64, was 65");
    }

    @Test
    void peerTimeoutDefaultsToThirtySecondsWithAHeartbeatEveryFive() throws Exception {
        BrokerConfig config = parse();
        assertThat(config.peerTimeout()).isEqualTo(Duration.ofSeconds(30)).isEqualTo(BrokerConfig.DEFAULT_PEER_TIMEOUT);
        assertThat(config.heartbeatInterval()).isEqualTo(Duration.ofSeconds(5));
        assertThat(BrokerConfig.embedded(Path.of("data")).peerTimeout()).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void mapsAnExplicitPeerTimeoutAndBeatsThreeTimesWithinIt() throws Exception {
        BrokerConfig config = parse("--peer-timeout", "PT3S");
        assertThat(config.peerTimeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(config.heartbeatInterval()).isEqualTo(Duration.ofSeconds(1));
        assertThat(BrokerConfig.embedded(Path.of("data")).withPeerTimeout(Duration.ofMinutes(2)).heartbeatInterval())
                .isEqualTo(Duration.ofSeconds(5));
    }

    @Test
    void refusesAPeerTimeoutBelowASecondOrAboveAnHour() {
        assertThatThrownBy(() -> parse("--peer-timeout", "PT0.5S"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("peerTimeout must be in 1..3600 s, was 500 ms");
        assertThatThrownBy(() -> BrokerConfig.embedded(Path.of("data")).withPeerTimeout(Duration.ofHours(2)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("peerTimeout must be in 1..3600 s, was 7200000 ms");
    }

    @Test
    void sourceWorkDefaultsToSixteenThreadsAndFourOperationsPerOrganisation() throws Exception {
        assertThat(parse().sourceLimits()).isEqualTo(new BrokerConfig.SourceLimits(16, 4))
                .isEqualTo(BrokerConfig.SourceLimits.DEFAULTS);
    }

    @Test
    void mapsExplicitSourceLimitsAndRefusesMorePerOrganisationThanThreads() throws Exception {
        assertThat(parse("--source-threads", "8", "--max-source-operations-per-organisation", "2").sourceLimits())
                .isEqualTo(new BrokerConfig.SourceLimits(8, 2));
        assertThatThrownBy(() -> parse("--source-threads", "2", "--max-source-operations-per-organisation", "3"))
                .hasMessage("the source operations per organisation must be in 1..2 (the source threads), was 3");
        assertThatThrownBy(() -> parse("--source-threads", "0"))
                .hasMessage("the source threads must be in 1..1024, was 0");
    }

    @Test
    void logsTextAtInfoWithTheAccessLogByDefault() {
        ServeCommand command = new ServeCommand();
        new CommandLine(command).parseArgs();
        assertThat(command.logFormat).isEqualTo(LogFormat.TEXT);
        assertThat(command.logLevel).isEqualTo(Level.INFO);
        assertThat(command.accessLog).isTrue();
    }

    @Test
    void mapsAnExplicitLogFormatLevelAndAccessLog() {
        ServeCommand command = new ServeCommand();
        new CommandLine(command).parseArgs("--log-format", "JSON", "--log-level", "debug", "--access-log=false");
        assertThat(command.logFormat).isEqualTo(LogFormat.JSON);
        assertThat(command.logLevel).isEqualTo(Level.DEBUG);
        assertThat(command.accessLog).isFalse();
    }

    @Test
    void refusesAnUnknownLogFormatOrLevel() {
        assertThatThrownBy(() -> new CommandLine(new ServeCommand()).parseArgs("--log-format", "xml"))
                .isInstanceOf(CommandLine.ParameterException.class)
                .hasMessageContaining("expected text or json, was 'xml'");
        assertThatThrownBy(() -> new CommandLine(new ServeCommand()).parseArgs("--log-level", "loud"))
                .isInstanceOf(CommandLine.ParameterException.class)
                .hasMessageContaining("expected error, warn, info, debug or trace, was 'loud'");
    }

    @Test
    void aBadPurposesFileIsAStartupFailureNamingTheFile(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path purposes = java.nio.file.Files.writeString(dir.resolve("purposes.json"), "{\"a\": \"not a list\"}");
        assertThatThrownBy(() -> parse("--purposes", purposes.toString()))
                .isInstanceOf(StartupFailure.class)
                .hasMessageStartingWith("cannot read the purposes file " + purposes + ": ")
                .hasMessageContaining("(line 1, column ")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    @Test
    void aMissingTlsFileIsOneLineNamingTheOptionWithExitCodeOne(@org.junit.jupiter.api.io.TempDir Path dir) {
        Path key = dir.resolve("broker.key");
        var result = io.sluice.broker.TestCli.run("serve", "--port", "0", "--data-dir", dir.resolve("data").toString(),
                "--tls-cert", dir.toString(), "--tls-key", key.toString());

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.output()).isEqualTo("sluice: cannot read --tls-cert " + dir + ": a directory, not a file"
                + System.lineSeparator());
    }
}
