package io.sluice.loader.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.HexFormat;

import org.junit.jupiter.api.Test;

class MeteredInputStreamTest {

    private static final byte[] EOS = {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0, 0, 0, 0};

    @Test
    void countsAndDigestsEveryByteHoweverItIsRead() throws Exception {
        byte[] bytes = new byte[20_000];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) (i * 7);
        }
        System.arraycopy(EOS, 0, bytes, bytes.length - EOS.length, EOS.length);
        MeteredInputStream in = new MeteredInputStream(new ByteArrayInputStream(bytes));

        assertThat(in.read()).isEqualTo(0);
        assertThat(in.read(new byte[100], 0, 100)).isEqualTo(100);
        assertThat(in.skip(1000)).isEqualTo(1000);
        assertThat(in.bytesRead()).isEqualTo(1101);
        in.readNBytes(bytes.length - 1101);

        assertThat(in.endsWithEndOfStreamMarker()).isTrue();
        assertThat(in.drain()).isZero();
        assertThat(in.endOfInput()).isTrue();
        assertThat(in.bytesRead()).isEqualTo(bytes.length);
        assertThat(in.sha256Hex())
                .isEqualTo(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)));
    }

    @Test
    void recognisesTheMarkerOnlyAtTheEnd() throws IOException {
        byte[] bytes = new byte[16];
        System.arraycopy(EOS, 0, bytes, 0, EOS.length);
        MeteredInputStream in = new MeteredInputStream(new ByteArrayInputStream(bytes));

        in.readNBytes(8);
        assertThat(in.endsWithEndOfStreamMarker()).isTrue();
        in.read();
        assertThat(in.endsWithEndOfStreamMarker()).isFalse();
    }

    @Test
    void remembersAFailureOfTheUnderlyingStream() {
        InputStream broken = new InputStream() {
            @Override
            public int read() throws IOException {
                throw new IOException("connection reset");
            }
        };
        MeteredInputStream in = new MeteredInputStream(broken);

        assertThatThrownBy(in::read).hasMessage("connection reset");
        assertThat(in.failure()).hasValueSatisfying(e -> assertThat(e).hasMessage("connection reset"));
        assertThat(in.endOfInput()).isFalse();
    }
}
