package io.sluice.loader.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;

class BrokerErrorTest {

    @Test
    void parsesTheSluiceErrorShape() {
        Optional<BrokerError> error = BrokerError.parse(bytes("""
                {"code": 3004, "error": "forbidden", "message": "no", "requestId": "r-1",
                 "reasons": ["a", {"code": "purpose_mismatch"}], "extra": true}"""));

        assertThat(error).contains(new BrokerError(3004, "forbidden", "no", Optional.of("r-1"),
                List.of("a", "{\"code\":\"purpose_mismatch\"}")));
    }

    @Test
    void toleratesMissingOptionalFields() {
        assertThat(BrokerError.parse(bytes("{\"error\": \"not_found\"}")))
                .contains(new BrokerError(0, "not_found", "", Optional.empty(), List.of()));
    }

    @Test
    void rejectsBodiesThatAreNotASluiceError() {
        assertThat(BrokerError.parse(bytes("<html>"))).isEmpty();
        assertThat(BrokerError.parse(bytes("[]"))).isEmpty();
        assertThat(BrokerError.parse(bytes("{\"message\": \"x\"}"))).isEmpty();
        assertThat(BrokerError.parse(new byte[0])).isEmpty();
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
