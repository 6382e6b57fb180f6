package io.sluice.broker.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.BindException;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

class StartupFailureTest {
    @Test
    void aBusyPortIsNamedWithWhatToDo() {
        var failure = StartupFailure.of(new CompletionException(new BindException("Address already in use")),
                "127.0.0.1", 8470);

        assertThat(failure.getMessage()).isEqualTo("cannot listen on 127.0.0.1:8470: the address is already in use"
                + " (another process holds it; choose another --port or stop that process)");
    }

    @Test
    void nettysNativeBindFailureReadsTheSame() {
        var failure = StartupFailure.of(new CompletionException(new IllegalStateException("listen failed",
                new IOException("bind(..) failed: Address already in use"))), "0.0.0.0", 443);

        assertThat(failure.getMessage()).startsWith("cannot listen on 0.0.0.0:443: the address is already in use");
    }

    @Test
    void anAddressOfAnotherMachineOrAPrivilegedPortSaysSo() {
        assertThat(StartupFailure.of(new BindException("Cannot assign requested address"), "10.9.9.9", 8470)
                .getMessage()).isEqualTo("cannot listen on 10.9.9.9:8470: cannot assign requested address"
                        + " (is --host an address of this machine?)");
        assertThat(StartupFailure.of(new BindException("Permission denied"), "127.0.0.1", 80).getMessage())
                .isEqualTo("cannot listen on 127.0.0.1:80: permission denied (ports below 1024 need privileges;"
                        + " choose another --port)");
    }

    @Test
    void otherFailuresKeepTheirOwnMessageWithoutTheFuturesWrapper() {
        var failure = StartupFailure.of(new CompletionException(new IllegalStateException(
                "cannot fetch http://127.0.0.1:1/realms/x/.well-known/openid-configuration: Connection refused")),
                "127.0.0.1", 8470);

        assertThat(failure.getMessage()).isEqualTo("cannot start the broker: cannot fetch"
                + " http://127.0.0.1:1/realms/x/.well-known/openid-configuration: Connection refused");
    }

    @Test
    void theMessageIsAlwaysOneLine() {
        var failure = StartupFailure.of(new IllegalArgumentException("first\n  second\r\nthird"), "127.0.0.1", 1);

        assertThat(failure.getMessage()).isEqualTo("cannot start the broker: first; second; third");
    }

    @Test
    void aFailureWithoutWordsIsNamedAndPointsAtItsTrace() {
        assertThat(StartupFailure.of(new NullPointerException(), "127.0.0.1", 1).getMessage())
                .isEqualTo("cannot start the broker: NullPointerException (--log-level debug logs its stack trace)");
    }
}
