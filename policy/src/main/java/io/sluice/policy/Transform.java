package io.sluice.policy;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * One transform a grant carries, as it is reported to the consumer and in the grant record.
 *
 * @param type e.g. {@code "drop"}
 * @param columns the columns it applies to
 */
public record Transform(String type, List<String> columns) {
    public Transform {
        requireNonNull(type, "type is null");
        columns = List.copyOf(requireNonNull(columns, "columns is null"));
    }
}
