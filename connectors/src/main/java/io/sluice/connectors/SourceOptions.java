package io.sluice.connectors;

import static java.util.Objects.requireNonNull;

import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Typed, checked access to a {@link SourceConfig}'s options for one source type.
 *
 * <p>Every factory names the keys it understands; a key it does not know is refused (a typo must
 * not silently fall back to a default), except the {@linkplain #COMMON_KEYS common keys} every
 * source accepts. Messages never show the value of a secret key.
 */
public final class SourceOptions {

    /** Every source accepts this key: the most bytes one scan may hold (see {@link #maxBatchBytes()}). */
    public static final String MAX_BATCH_BYTES = "maxBatchBytes";
    /**
     * Every source accepts this key: the JDBC hosts the broker allows, a comma list put there by the
     * broker from its configuration (never by the data owner). Only JDBC uses it.
     */
    public static final String ALLOWED_HOSTS = "allowedHosts";
    /** Keys every source type accepts. */
    public static final Set<String> COMMON_KEYS = Set.of(MAX_BATCH_BYTES, ALLOWED_HOSTS);
    /** The default bound on one scan's Arrow memory: 512 MiB. */
    public static final long DEFAULT_MAX_BATCH_BYTES = 512L * 1024 * 1024;

    private final String type;
    private final Map<String, String> options;

    private SourceOptions(String type, Map<String, String> options) {
        this.type = type;
        this.options = options;
    }

    /**
     * The options of {@code config}, checked against {@code knownKeys} and {@link #COMMON_KEYS}.
     *
     * @throws ConnectorException {@link ConnectorErrorCode#INVALID_SOURCE_CONFIG} naming an unknown key
     *     and the known ones
     */
    public static SourceOptions of(SourceConfig config, Set<String> knownKeys) {
        requireNonNull(config, "config is null");
        requireNonNull(knownKeys, "knownKeys is null");
        for (String key : config.options().keySet()) {
            if (!knownKeys.contains(key) && !COMMON_KEYS.contains(key)) {
                Set<String> known = new TreeSet<>(knownKeys);
                known.addAll(COMMON_KEYS);
                throw invalid(config.type(), "unknown option '" + key + "'; known options: " + known);
            }
        }
        return new SourceOptions(config.type(), config.options());
    }

    /** The raw value of {@code key}, if set. */
    public Optional<String> string(String key) {
        return Optional.ofNullable(options.get(key));
    }

    /** The value of {@code key}, which must be set and not blank. */
    public String required(String key) {
        String value = options.get(key);
        if (value == null || value.isBlank()) {
            throw invalid(type, "option '" + key + "' is required");
        }
        return value;
    }

    /** An integer option in {@code [min, max]}, or {@code defaultValue} when unset. */
    public int intValue(String key, int defaultValue, int min, int max) {
        return (int) longValue(key, defaultValue, min, max);
    }

    /** A long option in {@code [min, max]}, or {@code defaultValue} when unset. */
    public long longValue(String key, long defaultValue, long min, long max) {
        String value = options.get(key);
        if (value == null) {
            return defaultValue;
        }
        long parsed;
        try {
            parsed = Long.parseLong(value.strip());
        } catch (NumberFormatException e) {
            throw invalid(type, "option '" + key + "' must be an integer, was " + shown(key, value));
        }
        if (parsed < min || parsed > max) {
            throw invalid(type, "option '" + key + "' must be between " + min + " and " + max + ", was " + parsed);
        }
        return parsed;
    }

    /** One of {@code allowed} (compared ignoring case, returned in lower case), or {@code defaultValue}. */
    public String choice(String key, String defaultValue, Set<String> allowed) {
        String value = options.get(key);
        if (value == null) {
            return defaultValue;
        }
        String lower = value.strip().toLowerCase(Locale.ROOT);
        if (!allowed.contains(lower)) {
            throw invalid(type, "option '" + key + "' must be one of " + new TreeSet<>(allowed) + ", was "
                    + shown(key, value));
        }
        return lower;
    }

    /**
     * The bound on one scan's Arrow memory, option {@value #MAX_BATCH_BYTES} (default 512 MiB, at
     * least 64 KiB). A reader's child allocator never holds more, so a hostile source cannot make a
     * scan allocate beyond it; the caller's allocator limit applies as well.
     */
    public long maxBatchBytes() {
        return longValue(MAX_BATCH_BYTES, DEFAULT_MAX_BATCH_BYTES, 64 * 1024, Long.MAX_VALUE);
    }

    /** An {@link ConnectorErrorCode#INVALID_SOURCE_CONFIG} failure for source type {@code type}. */
    public static ConnectorException invalid(String type, String problem) {
        return new ConnectorException(ConnectorErrorCode.INVALID_SOURCE_CONFIG,
                "source type '" + type + "': " + problem);
    }

    private static String shown(String key, String value) {
        return "'" + SourceConfig.redact(key, value) + "'";
    }
}
