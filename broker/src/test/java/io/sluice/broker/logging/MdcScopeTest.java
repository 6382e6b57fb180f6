package io.sluice.broker.logging;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

class MdcScopeTest {
    @AfterEach
    void clear() {
        MDC.clear();
    }

    @Test
    void aScopeLeavesNothingBehindOnAThreadThatServesTheNextRequest() {
        try (MdcScope scope = MdcScope.of(Map.of("requestId", "rq-1", "actor", "lab@ai-lab"))) {
            assertThat(MDC.get("requestId")).isEqualTo("rq-1");
            assertThat(MDC.get("actor")).isEqualTo("lab@ai-lab");
        }
        assertThat(MDC.getCopyOfContextMap()).isNullOrEmpty();
    }

    @Test
    void aNestedScopePutsBackWhatTheOuterOneHad() {
        try (MdcScope outer = MdcScope.of(Map.of("requestId", "rq-1", "stream", "st-1"))) {
            Map<String, String> inner = new HashMap<>();
            inner.put("requestId", "rq-2");
            inner.put("grant", null);
            try (MdcScope scope = MdcScope.of(inner)) {
                assertThat(MDC.getCopyOfContextMap()).isEqualTo(Map.of("requestId", "rq-2", "stream", "st-1"));
            }
            assertThat(MDC.getCopyOfContextMap()).isEqualTo(Map.of("requestId", "rq-1", "stream", "st-1"));
        }
        assertThat(MDC.getCopyOfContextMap()).isNullOrEmpty();
    }
}
