package io.sluice.loader;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class GrantReceiptTest {
    private static final URI BROKER = URI.create("http://127.0.0.1:8470");
    private static final String SHA_A = "a".repeat(64);
    private static final String SHA_B = "b".repeat(64);

    private static GrantReceipt receipt(String... leaves) {
        StringBuilder records = new StringBuilder();
        for (int i = 0; i < leaves.length; i++) {
            records.append(i == 0 ? "" : ",").append("{\"index\":").append(i).append(",\"leaf\":\"")
                    .append(Base64.getEncoder().encodeToString(leaves[i].getBytes(StandardCharsets.UTF_8)))
                    .append("\",\"proof\":[]}");
        }
        return GrantReceipt.parse(("{\"grant\":\"gr-1\",\"records\":[" + records + "]}").getBytes(StandardCharsets.UTF_8));
    }

    private static final GrantReceipt RECEIPT = receipt(
            "{\"action\":\"grant.issued\",\"grant\":\"gr-1\"}",
            "{\"action\":\"stream.opened\",\"grant\":\"gr-1\",\"stream\":\"st-a\"}",
            "{\"action\":\"stream.closed\",\"bytes\":1000,\"grant\":\"gr-1\",\"sha256\":\"" + SHA_A + "\",\"stream\":\"st-a\"}",
            "{\"action\":\"stream.opened\",\"grant\":\"gr-1\",\"stream\":\"st-b\"}",
            "{\"action\":\"stream.aborted\",\"bytes\":500,\"grant\":\"gr-1\",\"stream\":\"st-b\"}");

    private static StreamSummary completed(String stream, long bytes, String sha) {
        return new StreamSummary(stream, BROKER, 0, 1, bytes, Optional.of(sha), Optional.empty());
    }

    @Test
    void agreesWhenEveryStreamReadToItsEndIsClosedWithTheSameBytesAndHash() {
        StreamSummary broken = new StreamSummary("st-b", BROKER, 0, 1, 400, Optional.empty(), Optional.of("reset"));
        assertThat(RECEIPT.mismatch(List.of(completed("st-a", 1000, SHA_A.toUpperCase()), broken))).isEmpty();
        assertThat(RECEIPT.end("st-b")).hasValueSatisfying(end -> assertThat(end.action()).isEqualTo("stream.aborted"));
    }

    @Test
    void namesTheStreamAndBothValuesWhenTheyDisagree() {
        assertThat(RECEIPT.mismatch(List.of(completed("st-a", 1001, SHA_A))))
                .hasValue("the receipt says stream st-a sent 1,000 bytes; this loader received 1,001");
        assertThat(RECEIPT.mismatch(List.of(completed("st-a", 1000, SHA_B))))
                .hasValue("the receipt says stream st-a had SHA-256 " + SHA_A + "; what this loader received has SHA-256 " + SHA_B);
        assertThat(RECEIPT.mismatch(List.of(completed("st-c", 1000, SHA_A))))
                .hasValue("the receipt of grant gr-1 has no stream.closed record of stream st-c, which this loader read to its end");
        assertThat(RECEIPT.mismatch(List.of(completed("st-b", 500, SHA_A))))
                .hasValue("the receipt of grant gr-1 has no stream.closed record of stream st-b, which this loader read to"
                        + " its end (it records stream.aborted)");
    }

    @Test
    void namesTheStreamsOpenedWithoutAnEndAtItsCheckpoint() {
        GrantReceipt receipt = receipt(
                "{\"action\":\"grant.issued\",\"grant\":\"gr-1\"}",
                "{\"action\":\"stream.opened\",\"grant\":\"gr-1\",\"stream\":\"st-a\"}",
                "{\"action\":\"stream.opened\",\"grant\":\"gr-1\",\"stream\":\"st-b\"}",
                "{\"action\":\"stream.opened\",\"grant\":\"gr-1\",\"stream\":\"st-c\"}",
                "{\"action\":\"stream.closed\",\"bytes\":1000,\"grant\":\"gr-1\",\"sha256\":\"" + SHA_A
                        + "\",\"stream\":\"st-b\"}");

        assertThat(receipt.running()).containsExactly("st-a", "st-c");
        assertThat(RECEIPT.running()).isEmpty();
        assertThat(receipt.mismatch(List.of(completed("st-b", 1000, SHA_A)))).isEmpty();
    }

    @Test
    void refusesWhatIsNotAReceipt() {
        assertThatThrownBy(() -> GrantReceipt.parse("{\"error\":\"forbidden\"}".getBytes(StandardCharsets.UTF_8)))
                .hasMessage("the broker's answer is not a receipt (no 'grant' and 'records')");
    }
}
