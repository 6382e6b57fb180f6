package io.sluice.broker.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.broker.audit.tlog.Checkpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuditVerifyStateTest {
    @TempDir
    Path dir;

    @Test
    void theStateOptionWinsOverTheEnvironment() {
        assertThat(AuditVerifyState.directory(Optional.of(Path.of("/tmp/mine")),
                Map.of("XDG_STATE_HOME", "/xdg", "HOME", "/home/ines"))).isEqualTo(Path.of("/tmp/mine"));
    }

    @Test
    void usesXdgStateHomeWhenItIsAnAbsolutePath() {
        assertThat(AuditVerifyState.directory(Optional.empty(), Map.of("XDG_STATE_HOME", "/xdg", "HOME", "/home/ines")))
                .isEqualTo(Path.of("/xdg/sluice"));
    }

    @Test
    void fallsBackToHomeWhenXdgStateHomeIsUnsetEmptyOrRelative() {
        Path expected = Path.of("/home/ines/.local/state/sluice");
        assertThat(AuditVerifyState.directory(Optional.empty(), Map.of("HOME", "/home/ines"))).isEqualTo(expected);
        assertThat(AuditVerifyState.directory(Optional.empty(), Map.of("XDG_STATE_HOME", "", "HOME", "/home/ines")))
                .isEqualTo(expected);
        assertThat(AuditVerifyState.directory(Optional.empty(), Map.of("XDG_STATE_HOME", "state", "HOME", "/home/ines")))
                .isEqualTo(expected);
    }

    @Test
    void readsHomeFromTheEnvironmentNotTheUserHomeProperty() {
        assertThat(AuditVerifyState.directory(Optional.empty(), Map.of("HOME", "/elsewhere")))
                .isEqualTo(Path.of("/elsewhere/.local/state/sluice"));
    }

    @Test
    void saysWhatToDoWhenNeitherVariableIsSet() {
        assertThatThrownBy(() -> AuditVerifyState.directory(Optional.empty(), Map.of()))
                .isInstanceOf(CliException.class)
                .hasMessage("cannot tell where to keep the verified checkpoint: neither XDG_STATE_HOME nor HOME is set;"
                        + " give a directory with --state DIR");
    }

    @Test
    void theRememberedCheckpointNeverMovesBack() {
        AuditVerifyState state = new AuditVerifyState(dir.resolve("state"));
        assertThat(state.read("sluice.example/audit")).isEmpty();

        assertThat(state.remember(checkpoint(20, (byte) 2))).isTrue();
        assertThat(state.remember(checkpoint(10, (byte) 1))).isFalse();
        assertThat(state.read("sluice.example/audit")).hasValueSatisfying(t -> {
            assertThat(t.size()).isEqualTo(20);
            assertThat(t.rootHash()).isEqualTo(root((byte) 2));
        });

        assertThat(state.remember(checkpoint(30, (byte) 3))).isTrue();
        assertThat(new AuditVerifyState(dir.resolve("state")).read("sluice.example/audit").orElseThrow().size()).isEqualTo(30);
        assertThat(state.file()).isEqualTo(dir.resolve("state").resolve("audit-verify-state.json"));
    }

    @Test
    void anUpgradeKeepsTheCheckpointEarlierReleasesRememberedUnderDotSluice() throws Exception {
        Path home = dir.resolve("home");
        Files.createDirectories(home.resolve(".sluice"));
        Files.writeString(home.resolve(".sluice/audit-verify-state.json"), "{\"sluice.example/audit\": {\"size\": 20,"
                + " \"rootHash\": \"" + "02".repeat(32) + "\"}}");
        AuditVerifyState state = AuditVerifyState.at(Optional.empty(), Map.of("HOME", home.toString()));
        assertThat(state.read("sluice.example/audit").orElseThrow().size()).isEqualTo(20);
        assertThat(state.remember(checkpoint(10, (byte) 1))).as("older than the legacy state").isFalse();
        assertThat(state.remember(checkpoint(30, (byte) 3))).isTrue();
        assertThat(state.file()).isEqualTo(home.resolve(".local/state/sluice/audit-verify-state.json")).exists();
        // With --state, only that directory counts.
        assertThat(AuditVerifyState.at(Optional.of(dir.resolve("fresh")), Map.of("HOME", home.toString()))
                .read("sluice.example/audit")).isEmpty();
    }

    private static Checkpoint checkpoint(long size, byte fill) {
        return new Checkpoint("sluice.example/audit", size, root(fill));
    }

    private static byte[] root(byte fill) {
        byte[] root = new byte[32];
        Arrays.fill(root, fill);
        return root;
    }
}
