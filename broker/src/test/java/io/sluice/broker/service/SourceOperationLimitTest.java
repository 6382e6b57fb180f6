package io.sluice.broker.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.broker.BrokerErrorCode;
import io.sluice.broker.BrokerException;
import org.junit.jupiter.api.Test;

class SourceOperationLimitTest {

    @Test
    void refusesAnOrganisationPastItsBoundWithoutTouchingOthers() {
        SourceOperationLimit limit = new SourceOperationLimit(2);
        SourceOperationLimit.Permit first = limit.enter("hospital-a");
        SourceOperationLimit.Permit second = limit.enter("hospital-a");

        assertThatThrownBy(() -> limit.enter("hospital-a"))
                .isInstanceOfSatisfying(BrokerException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(BrokerErrorCode.TOO_MANY_SOURCE_OPERATIONS))
                .hasMessage("organisation 'hospital-a' already has 2 source operations in flight (registrations opening"
                        + " their sources), the most this broker allows; try again when one has ended");
        try (SourceOperationLimit.Permit other = limit.enter("clinic-b")) {
            assertThat(limit.inFlight("clinic-b")).isEqualTo(1);
        }
        first.close();
        first.close();
        assertThat(limit.inFlight("hospital-a")).as("a permit closed twice gives back one place").isEqualTo(1);
        limit.enter("hospital-a").close();
        second.close();
        assertThat(limit.inFlight("hospital-a")).isZero();
        assertThat(limit.inFlight("clinic-b")).isZero();
    }

    @Test
    void needsABoundOfAtLeastOne() {
        assertThatThrownBy(() -> new SourceOperationLimit(0))
                .hasMessage("source operations per organisation must be >= 1, was 0");
    }
}
