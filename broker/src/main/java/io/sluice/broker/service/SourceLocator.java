package io.sluice.broker.service;

import static java.util.Objects.requireNonNull;

import io.sluice.broker.BrokerErrorCode;
import io.sluice.broker.BrokerException;
import io.sluice.connectors.SourceConfig;
import io.sluice.connectors.SourceOptions;
import io.sluice.connectors.SourcePaths;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Turns what an owner registered into what a connector opens: a file path confined to the
 * organisation's directory, the owner's options, and the options only the broker may set — which
 * database hosts JDBC sources may reach, and how large a batch may grow. An owner who sends those
 * is refused, so no registration can widen them.
 */
public final class SourceLocator {
    private static final List<String> BROKER_OWNED = List.of(SourceOptions.ALLOWED_HOSTS, SourceOptions.MAX_BATCH_BYTES);

    private final Path sourcesDir;
    private final List<String> jdbcAllowedHosts;
    private final long maxBatchBytes;

    public SourceLocator(Path sourcesDir, List<String> jdbcAllowedHosts, long maxBatchBytes) {
        this.sourcesDir = requireNonNull(sourcesDir, "sourcesDir is null");
        this.jdbcAllowedHosts = List.copyOf(requireNonNull(jdbcAllowedHosts, "jdbcAllowedHosts is null"));
        this.maxBatchBytes = maxBatchBytes;
    }

    /**
     * @throws BrokerException for options only the broker sets
     * @throws io.sluice.connectors.ConnectorException for a path outside the organisation's directory
     */
    public SourceConfig locate(String organisation, String type, Optional<String> path, Map<String, String> options) {
        for (String key : BROKER_OWNED) {
            if (options.containsKey(key)) {
                throw new BrokerException(BrokerErrorCode.BAD_REQUEST,
                        "source option '" + key + "' is set by the broker's operator, not in a registration");
            }
        }
        Map<String, String> effective = new HashMap<>(options);
        effective.put(SourceOptions.ALLOWED_HOSTS, String.join(",", jdbcAllowedHosts));
        effective.put(SourceOptions.MAX_BATCH_BYTES, Long.toString(maxBatchBytes));
        if (path.isEmpty()) {
            return SourceConfig.of(type, effective);
        }
        Path location = SourcePaths.resolveConfined(Organisations.sourceRoot(sourcesDir, organisation), path.get());
        return SourceConfig.ofFile(type, location, effective);
    }
}
