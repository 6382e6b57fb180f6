package io.sluice.connectors.parquet;

import io.sluice.connectors.ConnectorErrorCode;
import io.sluice.connectors.ConnectorException;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.Encoding;
import org.apache.parquet.format.SchemaElement;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.hadoop.metadata.ParquetMetadata;
import org.apache.parquet.schema.MessageType;

/**
 * The file-level features this reader refuses, found in the footer when a source is opened (that
 * is, when a dataset is registered), so that a file never registers and then fails mid-stream.
 *
 * <p>Refused here: a codec outside {@link ColumnChunkPages#SUPPORTED_CODECS}, encrypted
 * columns (Parquet modular encryption with a plaintext footer; an encrypted footer is refused by
 * its {@code PARE} magic in {@link ParquetFooter}), schemas nested deeper than
 * {@link #MAX_NESTING_DEPTH} and levels encoded with the deprecated BIT_PACKED encoding. Column types that cannot be mapped (GEOMETRY,
 * GEOGRAPHY, VARIANT, INTERVAL, ...) are refused by {@link ParquetArrowSchema#columns} at the same
 * moment. Each refusal is {@link ConnectorErrorCode#UNSUPPORTED_TYPE} and names the file, the
 * column and the feature.
 */
final class ParquetFeatures {
    /**
     * The deepest column this reader reads, in path elements from the top-level column to a leaf
     * (a top-level primitive is 1, a three-level list of primitives 3). Required groups add no
     * definition or repetition level, so the levels' own limit does not bound the depth; the
     * schema mapping, the assembly and the policy's walk over nested fields all recurse over it.
     */
    static final int MAX_NESTING_DEPTH = 64;

    private ParquetFeatures() {}

    /**
     * Refuses a schema nested deeper than {@link #MAX_NESTING_DEPTH}, from the footer's flat
     * schema list (depth first, each group giving its number of children) before parquet-java
     * builds the schema tree, which it does recursively.
     *
     * @param name how messages name the file
     * @param schema the footer's schema elements, the root first
     * @throws ConnectorException {@link ConnectorErrorCode#UNSUPPORTED_TYPE} naming the first
     *     column nested too deeply and its depth
     */
    static void refuseDeepNesting(String name, List<SchemaElement> schema) {
        if (schema == null || schema.isEmpty()) {
            return; // parquet-java reports a footer without a schema
        }
        // remaining[d]: children still to come of the open group at depth d (0 is the root).
        int[] remaining = new int[16];
        remaining[0] = Math.max(0, schema.getFirst().getNum_children());
        int depth = 0;
        String column = null;
        int columnDepth = 0;
        for (int i = 1; i < schema.size(); i++) {
            while (depth > 0 && remaining[depth] == 0) {
                depth--;
            }
            if (depth == 0) {
                if (columnDepth > MAX_NESTING_DEPTH) {
                    break;
                }
                if (remaining[0] == 0) {
                    break; // more elements than the tree holds: parquet-java reports it
                }
                column = schema.get(i).getName();
                columnDepth = 0;
            }
            remaining[depth]--;
            columnDepth = Math.max(columnDepth, depth + 1);
            SchemaElement element = schema.get(i);
            if (element.isSetNum_children() && element.getNum_children() > 0) {
                depth++;
                if (depth == remaining.length) {
                    remaining = Arrays.copyOf(remaining, depth * 2);
                }
                remaining[depth] = element.getNum_children();
            }
        }
        if (columnDepth > MAX_NESTING_DEPTH) {
            throw new ConnectorException(ConnectorErrorCode.UNSUPPORTED_TYPE, name + " column " + column
                    + " is nested " + columnDepth + " levels deep, more than the " + MAX_NESTING_DEPTH
                    + " this reader supports");
        }
    }

    /**
     * Refuses {@code metadata} when a column chunk uses a feature this reader does not support.
     *
     * @param name how messages name the file
     * @throws ConnectorException {@link ConnectorErrorCode#UNSUPPORTED_TYPE} naming the first such chunk
     */
    static void refuseUnsupported(String name, ParquetMetadata metadata) {
        MessageType schema = metadata.getFileMetaData().getSchema();
        List<BlockMetaData> blocks = metadata.getBlocks();
        for (int b = 0; b < blocks.size(); b++) {
            for (ColumnChunkMetaData chunk : blocks.get(b).getColumns()) {
                if (chunk.isEncrypted()) {
                    throw encryptedColumn(name, chunk);
                }
                CompressionCodecName codec = chunk.getCodec();
                if (!ColumnChunkPages.SUPPORTED_CODECS.contains(codec)) {
                    throw new ConnectorException(ConnectorErrorCode.UNSUPPORTED_TYPE, name + " column "
                            + chunk.getPath().toDotString() + " (row group " + b + ") is compressed with " + codec
                            + ", which is not supported (supported: " + ColumnChunkPages.SUPPORTED_CODECS + ")");
                }
                String[] path = chunk.getPath().toArray();
                if (chunk.getEncodings().contains(Encoding.BIT_PACKED) && schema.containsPath(path)) {
                    ColumnDescriptor column = schema.getColumnDescription(path);
                    if (bitPackedLevels(column.getMaxRepetitionLevel(), column.getMaxDefinitionLevel(),
                            chunk.getEncodings())) {
                        throw new ConnectorException(ConnectorErrorCode.UNSUPPORTED_TYPE, name + " column "
                                + chunk.getPath().toDotString() + " (row group " + b + ") has levels encoded"
                                + " BIT_PACKED (deprecated since Parquet 2.0), which is not supported; only RLE"
                                + " levels are");
                    }
                }
            }
        }
    }

    /**
     * Whether a chunk whose encodings list BIT_PACKED stores levels so. parquet-java lists
     * BIT_PACKED for a level stream whose maximum is 0, of which it writes nothing, beside RLE for
     * the levels it does write; so BIT_PACKED means real levels when the column has both kinds
     * of levels, or has definition levels and no RLE is listed.
     */
    private static boolean bitPackedLevels(int maxRepetition, int maxDefinition, Set<Encoding> encodings) {
        if (maxRepetition > 0) {
            return true;
        }
        return maxDefinition > 0 && !encodings.contains(Encoding.RLE);
    }

    /** The refusal of an encrypted column chunk. */
    static ConnectorException encryptedColumn(String name, ColumnChunkMetaData chunk) {
        return new ConnectorException(ConnectorErrorCode.UNSUPPORTED_TYPE, name + " column "
                + chunk.getPath().toDotString() + " is encrypted: encrypted Parquet (modular encryption) is not"
                + " supported");
    }
}
