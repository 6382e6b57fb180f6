package io.sluice.connectors.parquet;

import io.sluice.connectors.ConnectorErrorCode;
import io.sluice.connectors.ConnectorException;
import java.util.List;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.hadoop.metadata.ParquetMetadata;

/**
 * The file-level features this reader refuses, found in the footer when a source is opened (that
 * is, when a dataset is registered), so that a file never registers and then fails mid-stream.
 *
 * <p>Refused here: a codec outside {@link ColumnChunkPages#SUPPORTED_CODECS} (LZO) and encrypted
 * columns (Parquet modular encryption with a plaintext footer; an encrypted footer is refused by
 * its {@code PARE} magic in {@link ParquetFooter}). Column types that cannot be mapped (GEOMETRY,
 * GEOGRAPHY, VARIANT, INTERVAL, ...) are refused by {@link ParquetArrowSchema#columns} at the same
 * moment. Each refusal is {@link ConnectorErrorCode#UNSUPPORTED_TYPE} and names the file, the
 * column and the feature.
 */
final class ParquetFeatures {
    private ParquetFeatures() {}

    /**
     * Refuses {@code metadata} when a column chunk uses a feature this reader does not support.
     *
     * @param name how messages name the file
     * @throws ConnectorException {@link ConnectorErrorCode#UNSUPPORTED_TYPE} naming the first such chunk
     */
    static void refuseUnsupported(String name, ParquetMetadata metadata) {
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
            }
        }
    }

    /** The refusal of an encrypted column chunk. */
    static ConnectorException encryptedColumn(String name, ColumnChunkMetaData chunk) {
        return new ConnectorException(ConnectorErrorCode.UNSUPPORTED_TYPE, name + " column "
                + chunk.getPath().toDotString() + " is encrypted: encrypted Parquet (modular encryption) is not"
                + " supported");
    }
}
