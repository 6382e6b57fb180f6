package io.sluice.loader;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.util.List;

import org.junit.jupiter.api.Test;

class BrokerRotationTest {
    private static final URI A = URI.create("http://a:1");
    private static final URI B = URI.create("http://b:1");
    private static final URI C = URI.create("http://c:1");

    @Test
    void startsShardROnBrokerRModN() {
        assertThat(new BrokerRotation(List.of(A, B, C), 0).current()).isEqualTo(A);
        assertThat(new BrokerRotation(List.of(A, B, C), 1).current()).isEqualTo(B);
        assertThat(new BrokerRotation(List.of(A, B, C), 2).current()).isEqualTo(C);
        assertThat(new BrokerRotation(List.of(A, B, C), 3).current()).isEqualTo(A);
        assertThat(new BrokerRotation(List.of(A, B, C), 7).current()).isEqualTo(B);
    }

    @Test
    void movesOnRoundRobinFromWhereItStarted() {
        BrokerRotation rotation = new BrokerRotation(List.of(A, B, C), 2);

        assertThat(rotation.canMove()).isTrue();
        assertThat(rotation.moveOn()).isEqualTo(A);
        assertThat(rotation.current()).isEqualTo(A);
        assertThat(rotation.moveOn()).isEqualTo(B);
        assertThat(rotation.moveOn()).isEqualTo(C);
        assertThat(rotation.moveOn()).isEqualTo(A);
    }

    @Test
    void ranksOfALostBrokerSpreadOverTheOthers() {
        // Ranks 0 and 3 start on A; when A is lost, both go to B: the broker after their own.
        // Rank 2 (on C) goes to A if C is lost, not to the first broker of the list.
        for (int rankOnA : new int[] {0, 3}) {
            BrokerRotation rotation = new BrokerRotation(List.of(A, B, C), rankOnA);
            assertThat(rotation.current()).isEqualTo(A);
            assertThat(rotation.moveOn()).as("rank %d", rankOnA).isEqualTo(B);
        }
        BrokerRotation rank2 = new BrokerRotation(List.of(A, B, C), 2);
        assertThat(rank2.moveOn()).isEqualTo(A);
        BrokerRotation rank1 = new BrokerRotation(List.of(A, B, C), 1);
        assertThat(rank1.moveOn()).isEqualTo(C);
    }

    @Test
    void staysWithASingleBroker() {
        BrokerRotation rotation = new BrokerRotation(List.of(A), 5);

        assertThat(rotation.canMove()).isFalse();
        assertThat(rotation.current()).isEqualTo(A);
        assertThat(rotation.moveOn()).isEqualTo(A);
    }

    @Test
    void takesABrokerAsLostOnlyWhenItDoesNotAnswer() {
        LoaderException refused = new LoaderException(LoaderErrorCode.BROKER_UNREACHABLE, "connection refused", null);
        LoaderException broken = new LoaderException(LoaderErrorCode.STREAM_BROKEN, "reset", null);
        LoaderException truncated = new LoaderException(LoaderErrorCode.STREAM_TRUNCATED, "cut", null);

        assertThat(BrokerRotation.brokerLost(refused)).isTrue();
        // A broken body alone may be the network or the client; the broker answering the lookup keeps the stream there.
        assertThat(BrokerRotation.brokerLost(broken)).isFalse();
        assertThat(BrokerRotation.brokerLost(truncated)).isFalse();
        assertThat(BrokerRotation.brokerLost(LoaderException.brokerSilent(broken, "st-1"))).isTrue();
        assertThat(BrokerRotation.brokerLost(LoaderException.brokerSilent(truncated, "st-1"))).isTrue();
        assertThat(BrokerRotation.brokerLost(new LoaderException(LoaderErrorCode.SOURCE_FAILED, "bad row", null))).isFalse();
        assertThat(BrokerRotation.brokerLost(new LoaderException(LoaderErrorCode.UNEXPECTED_RESPONSE, 503, "busy", null)))
                .isFalse();
    }

    @Test
    void aSilentBrokerKeepsTheErrorAndSaysSo() {
        LoaderException broken = new LoaderException(LoaderErrorCode.STREAM_BROKEN, "connection to http://a:1 failed", null);

        LoaderException silent = LoaderException.brokerSilent(broken, "st-1");

        assertThat(silent.error()).isEqualTo("stream_broken");
        assertThat(silent.code()).isEqualTo(4104);
        assertThat(silent).hasMessage("connection to http://a:1 failed; the broker did not answer GET /v1/streams/st-1 either")
                .hasCause(broken);
    }

    @Test
    void rejectsNoBrokersAndANegativeShard() {
        assertThatThrownBy(() -> new BrokerRotation(List.of(), 0)).hasMessage("brokers must name at least one broker");
        assertThatThrownBy(() -> new BrokerRotation(List.of(A), -1)).hasMessage("shard must be >= 0, was -1");
    }
}
