package io.sluice.connectors.parquet;

import io.airlift.compress.lzo.LzoDecompressor;
import java.nio.ByteBuffer;

/**
 * Pages compressed with the {@code LZO} codec, which parquet-java writes through Hadoop's
 * {@code LzoCodec} (hadoop-lzo) as Hadoop block frames ({@link HadoopBlockFrames}) of raw LZO1X
 * blocks. Decompressed with aircompressor's Apache-2.0 {@link LzoDecompressor}, which checks
 * every bound on hostile input, straight between the page buffers. Stateless; thread-safe.
 */
final class LzoPages {
    private LzoPages() {}

    /**
     * Decompresses {@code source} (position to limit) into {@code target} (position to limit:
     * exactly the page's uncompressed size).
     *
     * @return the bytes written (the caller checks them against the page header), or -1 when the
     *     page is not a well-formed sequence of Hadoop-framed LZO blocks
     */
    static int decompress(ByteBuffer source, ByteBuffer target) {
        return HadoopBlockFrames.decompress(source, target, LzoPages::block);
    }

    private static int block(ByteBuffer in, int inOffset, int inLength, ByteBuffer out, int outOffset,
            int maxOutLength) {
        ByteBuffer into = out.slice(outOffset, maxOutLength);
        new LzoDecompressor().decompress(in.slice(inOffset, inLength), into);
        return into.position();
    }
}
