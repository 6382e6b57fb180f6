package io.sluice.connectors.csv;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CsvValuesTest {
    private final CsvValues values = new CsvValues();

    private boolean parseLong(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        return values.parseLong(bytes, 0, bytes.length);
    }

    private boolean parseDouble(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        return values.parseDouble(bytes, 0, bytes.length);
    }

    @Test
    void parsesLongsToTheirLimitsAndNoFurther() {
        assertThat(parseLong("9223372036854775807")).isTrue();
        assertThat(values.longValue).isEqualTo(Long.MAX_VALUE);
        assertThat(parseLong("-9223372036854775808")).isTrue();
        assertThat(values.longValue).isEqualTo(Long.MIN_VALUE);
        assertThat(parseLong(" +42 ")).isTrue();
        assertThat(values.longValue).isEqualTo(42);
        assertThat(parseLong("9223372036854775808")).isFalse();
        assertThat(parseLong("-9223372036854775809")).isFalse();
        assertThat(parseLong("1e3")).isFalse();
        assertThat(parseLong("-")).isFalse();
        assertThat(parseLong("")).isFalse();
        assertThat(parseLong("12 3")).isFalse();
    }

    @Test
    void parsesDoublesExactlyAsJavaDoes() {
        Random random = new Random(11);
        for (int i = 0; i < 200_000; i++) {
            String text = switch (i % 4) {
                case 0 -> Double.toString(random.nextDouble() * Math.pow(10, random.nextInt(40) - 20));
                case 1 -> String.format(Locale.ROOT, "%." + random.nextInt(12) + "f", (random.nextDouble() - 0.5) * 1e6);
                case 2 -> Long.toString(random.nextLong() >> random.nextInt(64));
                default -> (random.nextBoolean() ? "-" : "") + random.nextInt(1000) + "." + random.nextInt(100000)
                        + "e" + (random.nextInt(60) - 30);
            };
            assertThat(parseDouble(text)).as(text).isTrue();
            assertThat(values.doubleValue).as(text).isEqualTo(Double.parseDouble(text));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"1d", "0x1p3", "1f", "e5", ".", "1e", "--1", "1.2.3", "NaNa", "infinit", "1 2"})
    void refusesWhatIsNotADecimalNumber(String text) {
        assertThat(parseDouble(text)).isFalse();
    }

    @Test
    void parsesSpecialDoubles() {
        assertThat(parseDouble("NaN")).isTrue();
        assertThat(values.doubleValue).isNaN();
        assertThat(parseDouble("-inf")).isTrue();
        assertThat(values.doubleValue).isEqualTo(Double.NEGATIVE_INFINITY);
        assertThat(parseDouble("Infinity")).isTrue();
        assertThat(values.doubleValue).isEqualTo(Double.POSITIVE_INFINITY);
        assertThat(parseDouble("-0.0")).isTrue();
        assertThat(Double.doubleToRawLongBits(values.doubleValue)).isEqualTo(Double.doubleToRawLongBits(-0.0));
    }

    @Test
    void parsesEveryDateOfFourCenturiesLikeLocalDate() {
        for (LocalDate date = LocalDate.of(1800, 1, 1); date.isBefore(LocalDate.of(2200, 1, 1)); date = date.plusDays(1)) {
            byte[] bytes = date.toString().getBytes(StandardCharsets.US_ASCII);
            assertThat(values.parseDate(bytes, 0, bytes.length)).isTrue();
            assertThat(values.dayValue).isEqualTo(date.toEpochDay());
        }
        byte[] invalid = "2023-02-29".getBytes(StandardCharsets.US_ASCII);
        assertThat(values.parseDate(invalid, 0, invalid.length)).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"2024-03-01T10:15:30+02:00", "2024-03-01T10:15:30.123456Z", "1969-12-31T23:59:59.5-05:30",
        "2024-03-01 10:15:30+0200", "2024-03-01T10:15+01"})
    void parsesZonedTimestampsLikeOffsetDateTime(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
        assertThat(values.parseTimestamp(bytes, 0, bytes.length)).isTrue();
        assertThat(values.zoned).isTrue();
        String iso = text.replace(' ', 'T').replaceAll("([+-]\\d\\d)(\\d\\d)$", "$1:$2").replaceAll("([+-]\\d\\d)$", "$1:00");
        OffsetDateTime expected = OffsetDateTime.parse(iso);
        assertThat(values.microsValue).isEqualTo(expected.toEpochSecond() * 1_000_000L + expected.getNano() / 1_000);
    }

    @ParameterizedTest
    @ValueSource(strings = {"2024-03-01T25:00:00", "2024-03-01T10:15:30.", "2024-03-01X10:15", "2024-03-01T10:15:30+19:00",
        "2024-13-01", "2024-03-01T10:15:30Zjunk"})
    void refusesMalformedTimestamps(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
        assertThat(values.parseTimestamp(bytes, 0, bytes.length)).isFalse();
    }
}
