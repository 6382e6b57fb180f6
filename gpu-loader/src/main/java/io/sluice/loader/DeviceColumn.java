package io.sluice.loader;

import java.util.List;
import java.util.Objects;

import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;

/**
 * One column of a {@link DeviceBatch}, laid out on the device exactly as Arrow lays it out in host
 * memory: its buffers in Arrow's order for the type (validity bitmap, then offsets, then data, as in
 * the IPC format), so a CUDA kernel or a framework's Arrow/DLPack import reads it directly.
 *
 * @param field the column's name, type and nullability
 * @param length the number of values
 * @param nullCount the number of nulls
 * @param buffers the device buffers, in Arrow's order for the type
 * @param children the child columns of nested types (list, struct), empty otherwise
 */
public record DeviceColumn(Field field, int length, int nullCount, List<DeviceBuffer> buffers, List<DeviceColumn> children) {

    public DeviceColumn {
        Objects.requireNonNull(field, "field is null");
        buffers = List.copyOf(buffers);
        children = List.copyOf(children);
        if (length < 0 || nullCount < 0 || nullCount > length) {
            throw new IllegalArgumentException("need 0 <= nullCount <= length, was nullCount " + nullCount + ", length " + length);
        }
    }

    public String name() {
        return field.getName();
    }

    public ArrowType type() {
        return field.getType();
    }
}
