package io.sluice.policy.enforce;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.policy.Duty;
import io.sluice.policy.Generalisation;
import io.sluice.policy.PolicyDecision;
import io.sluice.policy.filter.Literal;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Random;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.DateUnit;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;

/** Each transform, value by value, through a pipeline of one column. */
class TransformTest {
    static final PseudonymKey KEY = PseudonymKey.derive(new byte[32], "ds", "p");

    @Test
    void generalisesDaysToYearAndMonth() {
        Object[] days = {day("1990-05-17"), day("2000-01-01"), day("1969-12-31"), day("2024-02-29"), null};

        // A date32 reads back as its day number.
        assertThat(transform(new ArrowType.Date(DateUnit.DAY), year(), days)).containsExactly(
                day("1990-01-01"), day("2000-01-01"), day("1969-01-01"), day("2024-01-01"), null);
        assertThat(transform(new ArrowType.Date(DateUnit.DAY), month(), days)).containsExactly(
                day("1990-05-01"), day("2000-01-01"), day("1969-12-01"), day("2024-02-01"), null);
    }

    @Test
    void generalisesDateMillisAndTimestampsInTheirZone() {
        long millis = Instant.parse("1990-05-17T13:45:00Z").toEpochMilli();
        assertThat(transform(new ArrowType.Date(DateUnit.MILLISECOND), month(), millis)).containsExactly(
                LocalDateTime.parse("1990-05-01T00:00:00"));

        long micros = Instant.parse("2021-03-31T23:30:00Z").toEpochMilli() * 1000 + 7;
        assertThat(transform(new ArrowType.Timestamp(TimeUnit.MICROSECOND, null), year(), micros, null))
                .containsExactly(LocalDateTime.parse("2021-01-01T00:00:00"), null);
        // 23:30 UTC on 31 March is already 1 April in Berlin: the month is April there.
        assertThat(transform(new ArrowType.Timestamp(TimeUnit.MICROSECOND, "Europe/Berlin"), month(), micros))
                .containsExactly(Instant.parse("2021-03-31T22:00:00Z").toEpochMilli() * 1000);
        assertThat(transform(new ArrowType.Timestamp(TimeUnit.SECOND, "+05:30"), year(),
                Instant.parse("2020-12-31T20:00:00Z").getEpochSecond()))
                .containsExactly(Instant.parse("2020-12-31T18:30:00Z").getEpochSecond());
        long nanos = Instant.parse("1969-07-20T20:17:40Z").getEpochSecond() * 1_000_000_000L + 5;
        assertThat(transform(new ArrowType.Timestamp(TimeUnit.NANOSECOND, "UTC"), month(), nanos))
                .containsExactly(Instant.parse("1969-07-01T00:00:00Z").getEpochSecond() * 1_000_000_000L);
    }

    @Test
    void bucketsNumbersKeepingTheirType() {
        assertThat(transform(new ArrowType.Int(32, true), width("10"), 17, -3, 0, 10, Integer.MIN_VALUE, null))
                .containsExactly(10, -10, 0, 10, Integer.MIN_VALUE, null);
        assertThat(transform(new ArrowType.Int(64, true), width("5"), 12L, -1L, Long.MIN_VALUE + 1))
                .containsExactly(10L, -5L, Long.MIN_VALUE);
        assertThat(transform(new ArrowType.Int(8, false), width("100"), 255, 99))
                .containsExactly((byte) 200, (byte) 0); // uint8 reads back as a signed byte
        assertThat(transform(new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE), width("0.5"),
                1.26, -0.1, Double.NaN)).containsExactly(1.0, -0.5, Double.NaN);
        assertThat(transform(new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE), width("2.5"), 6.0f))
                .containsExactly(5.0f);
    }

    @Test
    void cutsStringsToAPrefixOfCharacters() {
        assertThat(transform(ArrowType.Utf8.INSTANCE, new Generalisation.Prefix(2), "héllo", "a", "", "😀x😀", null))
                .containsExactly("hé", "a", "", "😀x", null);
        assertThat(transform(ArrowType.Utf8.INSTANCE, new Generalisation.Prefix(0), "abc")).containsExactly("");
    }

    @Test
    void masksWithNullOrAConstant() {
        assertThat(mask(new ArrowType.Int(32, false), null, 1, 2)).containsExactly(null, null);
        assertThat(mask(new ArrowType.Int(32, true), new Literal.Int(0), 5, null)).containsExactly(0, 0);
        assertThat(mask(ArrowType.Utf8.INSTANCE, new Literal.Text("redacted"), "Ann", null, "Bob"))
                .containsExactly("redacted", "redacted", "redacted");
        assertThat(mask(ArrowType.Bool.INSTANCE, new Literal.Bool(false), true)).containsExactly(false);
        assertThat(mask(new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE), new Literal.Decimal(
                new BigDecimal("36.6")), 40.1)).containsExactly(36.6);
        assertThat(mask(new ArrowType.Date(DateUnit.DAY), new Literal.Date(LocalDate.parse("2000-01-01")),
                day("1990-05-17"))).containsExactly(day("2000-01-01"));
        assertThat(mask(new ArrowType.Timestamp(TimeUnit.MILLISECOND, "UTC"),
                new Literal.Timestamp(Instant.parse("2000-01-01T12:00:00.123456Z")), 5L))
                .containsExactly(Instant.parse("2000-01-01T12:00:00.123Z").toEpochMilli());
    }

    @Test
    void aColumnMaskedWithNullBecomesNullable() {
        Field field = new Field("x", FieldType.notNullable(new ArrowType.Int(32, true)), null);
        PolicyDecision.Permit permit = permit("x", new Duty.Mask(List.of("x"), Optional.empty()));

        assertThat(EnforcementPipeline.outputSchema(permit, new Schema(List.of(field))).getFields().getFirst()
                .isNullable()).isTrue();
    }

    @Test
    void truncatesCivilDaysLikeJavaTime() {
        Random random = new Random(7);
        for (int i = 0; i < 200_000; i++) {
            long day = random.nextInt(2_000_000) - 1_000_000;
            LocalDate date = LocalDate.ofEpochDay(day);
            assertThat(ColumnWriter.Calendar.truncateDays(day, true)).isEqualTo(date.withDayOfYear(1).toEpochDay());
            assertThat(ColumnWriter.Calendar.truncateDays(day, false)).isEqualTo(date.withDayOfMonth(1).toEpochDay());
        }
    }

    // ---- helpers ---------------------------------------------------------------------------------

    private static Generalisation year() {
        return new Generalisation.Truncate(Generalisation.CalendarUnit.YEAR);
    }

    private static Generalisation month() {
        return new Generalisation.Truncate(Generalisation.CalendarUnit.MONTH);
    }

    private static Generalisation width(String width) {
        return new Generalisation.Bucket(new BigDecimal(width));
    }

    private static Integer day(String date) {
        return (int) LocalDate.parse(date).toEpochDay();
    }

    private static List<Object> transform(ArrowType type, Generalisation how, Object... values) {
        return run(type, new Duty.Generalise(List.of("x"), how), values);
    }

    private static List<Object> mask(ArrowType type, Literal with, Object... values) {
        return run(type, new Duty.Mask(List.of("x"), Optional.ofNullable(with)), values);
    }

    private static PolicyDecision.Permit permit(String column, Duty duty) {
        return new PolicyDecision.Permit(List.of(column), List.of(), List.of(duty), OptionalLong.empty(),
                Optional.empty());
    }

    private static List<Object> run(ArrowType type, Duty duty, Object... values) {
        Schema schema = new Schema(List.of(new Field("x", FieldType.nullable(type), null)));
        Object[][] rows = Arrays.stream(values).map(v -> new Object[] {v}).toArray(Object[][]::new);
        try (BufferAllocator allocator = new RootAllocator();
                VectorSchemaRoot in = Batches.of(schema, allocator, rows)) {
            EnforcementPipeline pipeline = EnforcementPipeline.compile(permit("x", duty), schema, KEY, OptOuts.none());
            try (VectorSchemaRoot out = pipeline.apply(in, allocator)) {
                assertThat(out.getSchema()).isEqualTo(pipeline.outputSchema());
                return Batches.column(out, "x");
            }
        }
    }
}
