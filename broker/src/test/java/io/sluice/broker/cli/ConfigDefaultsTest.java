package io.sluice.broker.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The provider on its own, on a command with the option kinds {@code serve} has none of yet:
 * boolean flags, which picocli sets to their default's opposite when given.
 */
class ConfigDefaultsTest {

    @Command(name = "flags")
    static final class Flags {
        @Option(names = "--config")
        Path config;

        @Option(names = "--verbose")
        boolean verbose;

        @Option(names = "--color", negatable = true)
        boolean color;

        @Option(names = {"-r", "--retries"}, defaultValue = "3")
        int retries;
    }

    @TempDir
    Path dir;

    private static Flags parse(Map<String, String> environment, String... args) {
        Flags flags = new Flags();
        new CommandLine(flags).setDefaultValueProvider(new ConfigDefaults(environment, "--config", Set.of())).parseArgs(args);
        return flags;
    }

    @Test
    void aBooleanFromTheEnvironmentOrTheFileIsSetWhereTheCommandLineIsSilent() throws Exception {
        assertThat(parse(Map.of()).verbose).isFalse();
        assertThat(parse(Map.of("SLUICE_VERBOSE", "true")).verbose).isTrue();
        Path file = Files.writeString(dir.resolve("f.yaml"), "verbose: true\ncolor: true\n");
        Flags fromFile = parse(Map.of(), "--config", file.toString());
        assertThat(fromFile.verbose).isTrue();
        assertThat(fromFile.color).isTrue();
        assertThat(parse(Map.of("SLUICE_VERBOSE", "false"), "--config", file.toString()).verbose)
                .as("the environment wins over the file").isFalse();
    }

    @Test
    void aBooleanFlagGivenOnTheCommandLineWinsWhateverTheEnvironmentSays() {
        // picocli sets a given flag to the opposite of its default: a default of true from the
        // environment must not turn --verbose into false.
        assertThat(parse(Map.of("SLUICE_VERBOSE", "true"), "--verbose").verbose).isTrue();
        assertThat(parse(Map.of("SLUICE_VERBOSE", "false"), "--verbose").verbose).isTrue();
        assertThat(parse(Map.of("SLUICE_COLOR", "true"), "--no-color").color).isFalse();
        assertThat(parse(Map.of("SLUICE_COLOR", "false"), "--color").color).isTrue();
        assertThat(parse(Map.of("SLUICE_COLOR", "true"), "--color").color).isTrue();
    }

    @Test
    void theKeyIsTheLongestName() throws Exception {
        assertThat(parse(Map.of("SLUICE_RETRIES", "5")).retries).isEqualTo(5);
        assertThat(parse(Map.of("SLUICE_R", "5")).retries).as("not the short name").isEqualTo(3);
        assertThat(parse(Map.of("SLUICE_RETRIES", "5"), "-r", "7").retries).isEqualTo(7);
    }

    @Test
    void theClosestKeyIsSuggestedOnlyWhenItIsNear() {
        Set<String> known = Set.of("port", "data-dir", "max-streams", "max-streams-per-consumer");
        assertThat(ConfigDefaults.closest("prot", known)).contains("port");
        assertThat(ConfigDefaults.closest("datadir", known)).contains("data-dir");
        assertThat(ConfigDefaults.closest("max-stream", known)).contains("max-streams");
        assertThat(ConfigDefaults.closest("data", known)).as("a shortened key").contains("data-dir");
        assertThat(ConfigDefaults.closest("hostname", known)).isEmpty();
    }
}
