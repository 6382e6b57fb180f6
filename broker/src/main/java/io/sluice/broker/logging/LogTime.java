package io.sluice.broker.logging;

import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;

/**
 * The time of a log line: date, time to the millisecond and the zone's offset from UTC, e.g.
 * {@code 2026-05-01T14:03:07.123+02:00} ({@code Z} in UTC): ISO 8601 and RFC 3339 alike, so that
 * lines from brokers in different zones, or from before and after a change of daylight saving
 * time, sort and compare without guessing.
 */
final class LogTime {
    private final DateTimeFormatter formatter;

    LogTime(ZoneId zone) {
        this.formatter = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSXXX").withZone(zone);
    }

    String format(Instant instant) {
        return formatter.format(instant);
    }
}
