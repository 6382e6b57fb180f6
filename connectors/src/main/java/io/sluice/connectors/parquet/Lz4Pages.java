package io.sluice.connectors.parquet;

import java.nio.ByteBuffer;
import net.jpountz.lz4.LZ4Exception;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;

/**
 * Pages compressed with the legacy {@code LZ4} codec id, which writers disagree on: parquet-java
 * (through Hadoop's {@code Lz4Codec}) frames the LZ4 blocks the Hadoop way, some older writers
 * (parquet-cpp before 2021) wrote one raw LZ4 block. Like Arrow's reader, a page is first read as
 * Hadoop frames and, when it is not a well-formed sequence of them, as one raw block.
 *
 * <p>Hadoop's block stream is read by {@link HadoopBlockFrames}, one raw LZ4 block per chunk.
 *
 * <p>Decompression uses lz4-java's pure-Java safe decompressor (bounds-checked on hostile input; no
 * JNI, so a hostile page cannot crash the broker natively). Stateless;
 * thread-safe.
 */
final class Lz4Pages {
    private static final LZ4SafeDecompressor LZ4 = LZ4Factory.safeInstance().safeDecompressor();

    private Lz4Pages() {}

    /**
     * Decompresses {@code source} (position to limit) into {@code target} (position to limit: exactly
     * the page's uncompressed size).
     *
     * @return the bytes written; the caller checks them against the page header
     * @throws LZ4Exception when the page is neither Hadoop-framed nor one raw block that fits
     */
    static int decompress(ByteBuffer source, ByteBuffer target) {
        int produced = hadoopFramed(source, target);
        if (produced == target.remaining()) {
            return produced;
        }
        return LZ4.decompress(source, source.position(), source.remaining(), target, target.position(),
                target.remaining());
    }

    /** The bytes written, or -1 when {@code source} is not a well-formed Hadoop block stream. */
    static int hadoopFramed(ByteBuffer source, ByteBuffer target) {
        return HadoopBlockFrames.decompress(source, target, LZ4::decompress);
    }
}
