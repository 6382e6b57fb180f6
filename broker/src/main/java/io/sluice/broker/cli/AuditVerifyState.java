package io.sluice.broker.cli;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.broker.audit.AuditVerifier;
import io.sluice.broker.audit.tlog.Checkpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;

/**
 * What {@code sluice audit verify} remembers between runs: per log (the checkpoint origin), the
 * largest checkpoint it has verified. The remembered checkpoint only moves forward: verifying an
 * older export leaves it as it was.
 *
 * <p>Kept in {@code audit-verify-state.json} inside the directory given with {@code --state}, else
 * {@code $XDG_STATE_HOME/sluice}, else {@code $HOME/.local/state/sluice}. Not thread-safe; one CLI
 * run uses one instance.
 */
final class AuditVerifyState {
    static final String FILE_NAME = "audit-verify-state.json";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HexFormat HEX = HexFormat.of();

    private final Path file;
    /** Where releases before 2026-12-01 kept the state; read until this file is first written. */
    private final Optional<Path> legacy;

    AuditVerifyState(Path directory) {
        this(directory, Optional.empty());
    }

    AuditVerifyState(Path directory, Optional<Path> legacy) {
        this.file = requireNonNull(directory, "directory is null").resolve(FILE_NAME);
        this.legacy = requireNonNull(legacy, "legacy is null");
    }

    /**
     * The state at its default place, also reading {@code $HOME/.sluice/audit-verify-state.json},
     * where earlier releases kept it, so that an upgrade does not forget the trusted checkpoint.
     */
    static AuditVerifyState at(Optional<Path> option, Map<String, String> env) {
        Optional<Path> legacy = option.isPresent() ? Optional.empty()
                : Optional.ofNullable(env.get("HOME")).filter(home -> !home.isBlank())
                        .map(home -> Path.of(home, ".sluice", FILE_NAME));
        return new AuditVerifyState(directory(option, env), legacy);
    }

    /**
     * The state directory: {@code option} when given, else {@code $XDG_STATE_HOME/sluice} (when set
     * to an absolute path, as the XDG base-directory rules ask), else {@code $HOME/.local/state/sluice}.
     * Reads the environment, never the {@code user.home} property, so that {@code HOME=... sluice}
     * means what it says.
     */
    static Path directory(Optional<Path> option, Map<String, String> env) {
        if (option.isPresent()) {
            return option.get();
        }
        String xdg = env.get("XDG_STATE_HOME");
        if (xdg != null && !xdg.isBlank() && Path.of(xdg).isAbsolute()) {
            return Path.of(xdg, "sluice");
        }
        String home = env.get("HOME");
        if (home != null && !home.isBlank()) {
            return Path.of(home, ".local", "state", "sluice");
        }
        throw new CliException("cannot tell where to keep the verified checkpoint: neither XDG_STATE_HOME nor HOME"
                + " is set; give a directory with --state DIR");
    }

    Path file() {
        return file;
    }

    /** The checkpoint verified last for this log, if any. */
    Optional<AuditVerifier.Trusted> read(String origin) {
        JsonNode entry = all().path(origin);
        if (entry.isMissingNode()) {
            return Optional.empty();
        }
        return Optional.of(new AuditVerifier.Trusted(entry.path("size").asLong(), HEX.parseHex(entry.path("rootHash").asText())));
    }

    /**
     * Remembers {@code verified} for its log unless a checkpoint at least as large is remembered.
     *
     * @return true when the state moved forward (or was empty)
     */
    boolean remember(Checkpoint verified) {
        ObjectNode all = all();
        JsonNode before = all.path(verified.origin());
        if (!before.isMissingNode() && before.path("size").asLong() >= verified.size()) {
            return false;
        }
        all.putObject(verified.origin()).put("size", verified.size()).put("rootHash", HEX.formatHex(verified.rootHash()));
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Path temporary = file.resolveSibling(FILE_NAME + ".tmp");
            Files.writeString(temporary, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(all));
            Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new CliException("cannot write the verify state " + file + ": " + e.getMessage());
        }
        return true;
    }

    private ObjectNode all() {
        Path file = this.file;
        if (!Files.exists(file)) {
            if (legacy.isEmpty() || !Files.exists(legacy.get())) {
                return JSON.createObjectNode();
            }
            file = legacy.get();
        }
        try {
            if (JSON.readTree(file.toFile()) instanceof ObjectNode object) {
                return object;
            }
            throw new CliException("the verify state " + file + " is not a JSON object; move it away to start afresh");
        } catch (IOException e) {
            throw new CliException("cannot read the verify state " + file + ": " + e.getMessage());
        }
    }
}
