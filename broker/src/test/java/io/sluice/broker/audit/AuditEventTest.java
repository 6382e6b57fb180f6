package io.sluice.broker.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** An audit event refuses, where it is built, what the log could not write. */
class AuditEventTest {
    private static final Actor ACTOR = new Actor("ines", "authority", List.of("compliance-officer"));

    @Test
    void refusesAFieldDesignMdDoesNotName() {
        assertThatThrownBy(() -> AuditEvent.of(AuditAction.STREAM_CLOSED, ACTOR).with("sha265", "ab"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("unknown audit field 'sha265'");
    }

    @Test
    void refusesAValueCanonicalJsonCannotEncodeAtTheCallerNotInTheLogsWriter() {
        assertThatThrownBy(() -> AuditEvent.of(AuditAction.STREAM_INTERRUPTED, ACTOR).with("sha256", Optional.of("ab")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("audit field 'sha256': cannot encode a java.util.Optional as canonical JSON");
    }

    @Test
    void leavesANullValueOutAndKeepsTheOthers() {
        AuditEvent event = AuditEvent.of(AuditAction.STREAM_CLOSED, ACTOR).with("rows", 3L).with("message", null)
                .with("columns", List.of("age")).with("node", Map.of("id", "n-1"));
        assertThat(event.details()).containsOnlyKeys("rows", "columns", "node");
    }

    @Test
    void namesAGrantOnlyWhenItsGrantFieldIsTextAGrantIdCanBe() {
        String longest = "gr-" + "x".repeat(AuditEvent.MAX_GRANT_ID - 3);
        AuditEvent event = AuditEvent.of(AuditAction.GRANT_DENIED, ACTOR);
        assertThat(event.with("grant", "gr-1").grantId()).isEqualTo("gr-1");
        assertThat(event.with("grant", longest).grantId()).isEqualTo(longest);
        assertThat(event.with("grant", longest + "y").grantId()).as("longer than grants.id").isNull();
        assertThat(event.with("grant", 17).grantId()).isNull();
        assertThat(event.with("message", "gr-1").grantId()).isNull();
    }
}
