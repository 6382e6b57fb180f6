package io.sluice.connectors.parquet;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Hadoop's block stream ({@code BlockCompressorStream}), in which parquet-java writes pages of the
 * legacy {@code LZ4} and {@code LZO} codecs: one or more blocks, each a big-endian int32 of the
 * block's uncompressed length followed by compressed chunks (a big-endian int32 length, then one
 * raw block of the codec) until that length is reached; a page larger than Hadoop's buffer
 * (256 KiB) spans several chunks or blocks.
 *
 * <p>Every length is checked against the bytes left on either side before a chunk is
 * decompressed, so a damaged frame is reported, never read past. Stateless; thread-safe.
 */
final class HadoopBlockFrames {
    /** A raw block codec on direct buffers. */
    @FunctionalInterface
    interface BlockDecompressor {
        /**
         * Decompresses {@code in[inOffset, inOffset + inLength)} into {@code out} from
         * {@code outOffset}, writing at most {@code maxOutLength} bytes; positions and limits are
         * left alone.
         *
         * @return the bytes written
         * @throws RuntimeException when the block is malformed or does not fit
         */
        int decompress(ByteBuffer in, int inOffset, int inLength, ByteBuffer out, int outOffset, int maxOutLength);
    }

    private HadoopBlockFrames() {}

    /**
     * Decompresses {@code source} (position to limit) into {@code target} (from its position, at
     * most to its limit); neither buffer's position moves.
     *
     * @return the bytes written, or -1 when {@code source} is not a well-formed block stream of
     *     {@code blocks}' codec
     */
    static int decompress(ByteBuffer source, ByteBuffer target, BlockDecompressor blocks) {
        ByteBuffer in = source.duplicate().order(ByteOrder.BIG_ENDIAN);
        int out = target.position();
        int outEnd = target.limit();
        try {
            while (in.hasRemaining()) {
                if (in.remaining() < 4) {
                    return -1;
                }
                int blockLength = in.getInt();
                if (blockLength < 0 || blockLength > outEnd - out) {
                    return -1;
                }
                int blockEnd = out + blockLength;
                while (out < blockEnd) {
                    if (in.remaining() < 4) {
                        return -1;
                    }
                    int chunkLength = in.getInt();
                    if (chunkLength <= 0 || chunkLength > in.remaining()) {
                        return -1;
                    }
                    int written = blocks.decompress(in, in.position(), chunkLength, target, out, blockEnd - out);
                    in.position(in.position() + chunkLength);
                    out += written;
                }
            }
        } catch (RuntimeException e) {
            return -1; // the codec found a malformed block: the caller reports the page (or tries another form)
        }
        return out - target.position();
    }
}
