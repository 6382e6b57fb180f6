package io.sluice.connectors;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * What a connector needs to open one source.
 *
 * @param type the factory name, e.g. {@code "parquet"}
 * @param location the resolved, already confined file or directory; absent for sources that
 *     are not files (JDBC)
 * @param options further source-specific settings (e.g. {@code header} for CSV); never secrets
 *     that may be logged
 */
public record SourceConfig(String type, Optional<Path> location, Map<String, String> options) {
    public SourceConfig {
        requireNonNull(type, "type is null");
        requireNonNull(location, "location is null");
        options = Map.copyOf(requireNonNull(options, "options is null"));
    }

    public static SourceConfig ofFile(String type, Path location) {
        return new SourceConfig(type, Optional.of(location), Map.of());
    }

    /** The location, or a {@link ConnectorException} saying that this source type needs one. */
    public Path requireLocation() {
        return location.orElseThrow(() -> new ConnectorException(
                ConnectorErrorCode.INVALID_SOURCE_CONFIG, "source type '" + type + "' needs a path"));
    }
}
