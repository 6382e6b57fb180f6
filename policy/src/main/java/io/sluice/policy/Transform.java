package io.sluice.policy;

import static java.util.Objects.requireNonNull;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One transform a grant carries, as it is reported to the consumer and in the grant record. The
 * executable form is the {@link Duty} it came from ({@link PolicyDecision.Permit#duties()}).
 *
 * <p>Types and parameters: {@code drop}; {@code pseudonymise} ({@code output}:
 * {@code hmac-sha256-hex}); {@code generalise} ({@code to}: {@code year}|{@code month}, or
 * {@code width}: N, or {@code prefix}: n); {@code mask} ({@code with}: a SQL literal or
 * {@code NULL}); {@code rowFilter} ({@code expression}: the canonical expression; columns = the
 * columns it reads).
 *
 * @param type e.g. {@code "drop"}
 * @param columns the columns it applies to
 * @param parameters what else a consumer needs to know, sorted by key; empty for {@code drop}
 */
public record Transform(String type, List<String> columns, Map<String, String> parameters) {
    public Transform {
        requireNonNull(type, "type is null");
        columns = List.copyOf(requireNonNull(columns, "columns is null"));
        parameters = Collections.unmodifiableMap(new TreeMap<>(requireNonNull(parameters, "parameters is null")));
    }

    /** A transform without parameters, e.g. {@code drop}. */
    public Transform(String type, List<String> columns) {
        this(type, columns, Map.of());
    }
}
