package io.sluice.broker.http;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RequestIdsTest {
    @Test
    void acceptsTheCorrelationIdsClientsAndProxiesSend() {
        assertThat(RequestIds.isSane("abc-123")).isTrue();
        assertThat(RequestIds.isSane("3f2c1e9a-8b7d-4c6e-9f01-23456789abcd")).isTrue();
        assertThat(RequestIds.isSane("Root=1-67891233-abcdef012345678912345678;Parent=53995c3f42cd8ad8")).isTrue();
        assertThat(RequestIds.isSane("x".repeat(RequestIds.MAX_CLIENT_ID_LENGTH))).isTrue();
    }

    @Test
    void refusesWhatCouldForgeOrFloodALogLine() {
        assertThat(RequestIds.isSane(null)).isFalse();
        assertThat(RequestIds.isSane("")).isFalse();
        assertThat(RequestIds.isSane("x".repeat(RequestIds.MAX_CLIENT_ID_LENGTH + 1))).isFalse();
        assertThat(RequestIds.isSane("abc\r\n2026-05-01T12:00:00Z INFO forged")).isFalse();
        assertThat(RequestIds.isSane("two words")).isFalse();
        assertThat(RequestIds.isSane("tab\there")).isFalse();
        assertThat(RequestIds.isSane("quote\"d")).isFalse();
        assertThat(RequestIds.isSane("quote'd")).isFalse();
        assertThat(RequestIds.isSane("back\\slash")).isFalse();
        assertThat(RequestIds.isSane("nul\u0000")).isFalse();
        assertThat(RequestIds.isSane("del\u007f")).isFalse();
        assertThat(RequestIds.isSane("ünïcode")).isFalse();
    }
}
