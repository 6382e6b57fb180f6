package io.sluice.connectors;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * What a connector needs to open one source.
 *
 * @param type the factory name, e.g. {@code "parquet"}
 * @param location the resolved, already confined file or directory; absent for sources that
 *     are not files (JDBC)
 * @param options further source-specific settings (e.g. {@code header} for CSV). Secrets (the
 *     JDBC {@code password}, a password inside a JDBC {@code url}) may be among them: they are
 *     never part of {@link #toString()} or of any exception message, see {@link #redactedOptions()}
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

    /** The option keys whose values are secrets (compared ignoring case). */
    public static final Set<String> SECRET_KEYS = Set.of("password");

    /** A config with a location and options. */
    public static SourceConfig ofFile(String type, Path location, Map<String, String> options) {
        return new SourceConfig(type, Optional.of(location), options);
    }

    /** A config without a location (JDBC). */
    public static SourceConfig of(String type, Map<String, String> options) {
        return new SourceConfig(type, Optional.empty(), options);
    }

    /**
     * The options with every secret replaced by {@code ***}: the values of {@link #SECRET_KEYS} and
     * the password inside a {@code url} option ({@code password=} parameters and
     * {@code user:password@} forms). Safe to log, store in an audit record or show a user.
     */
    public Map<String, String> redactedOptions() {
        Map<String, String> redacted = new TreeMap<>();
        options.forEach((key, value) -> redacted.put(key, redact(key, value)));
        return Collections.unmodifiableMap(redacted);
    }

    /** Type, location and {@linkplain #redactedOptions() redacted} options; never a secret. */
    @Override
    public String toString() {
        return "SourceConfig[type=" + type + ", location=" + location.map(Path::toString).orElse("none")
                + ", options=" + redactedOptions() + "]";
    }

    /** {@code value} with its secrets replaced by {@code ***}, given the option {@code key} it belongs to. */
    public static String redact(String key, String value) {
        if (SECRET_KEYS.contains(key.toLowerCase(Locale.ROOT))) {
            return "***";
        }
        return key.equalsIgnoreCase("url") ? redactUrl(value) : value;
    }

    /** A JDBC URL without the password: {@code password=...} parameters and {@code user:secret@} forms. */
    public static String redactUrl(String url) {
        String redacted = PASSWORD_PARAMETER.matcher(url).replaceAll("$1***");
        return USER_INFO_PASSWORD.matcher(redacted).replaceAll("$1***@");
    }

    private static final Pattern PASSWORD_PARAMETER = Pattern.compile("(?i)((?:^|[?&;:])password=)[^&;]*");
    private static final Pattern USER_INFO_PASSWORD = Pattern.compile("(//[^/:@?]*:)[^/@?]*@");

    /** The location, or a {@link ConnectorException} saying that this source type needs one. */
    public Path requireLocation() {
        return location.orElseThrow(() -> new ConnectorException(
                ConnectorErrorCode.INVALID_SOURCE_CONFIG, "source type '" + type + "' needs a path"));
    }
}
