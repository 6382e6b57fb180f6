package io.sluice.connectors.parquet;

import org.apache.arrow.vector.types.pojo.Field;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.schema.Type;

import static java.util.Objects.requireNonNull;

/**
 * One top-level Parquet column and the Arrow field it is read into.
 *
 * @param parquetType the column's type in the file schema
 * @param descriptor the column's path, physical type and levels, as the column readers want it
 * @param field the Arrow field: same name, nullable exactly when the column is optional
 */
record ParquetColumn(Type parquetType, ColumnDescriptor descriptor, Field field) {
    ParquetColumn {
        requireNonNull(parquetType, "parquetType is null");
        requireNonNull(descriptor, "descriptor is null");
        requireNonNull(field, "field is null");
    }

    String name() {
        return field.getName();
    }
}
