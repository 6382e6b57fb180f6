package io.sluice.broker.audit.tlog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class CanonicalJsonTest {

    private static String json(Object value) {
        return new String(CanonicalJson.encode(value), StandardCharsets.UTF_8);
    }

    @Test
    void encodesTheRfc8785MainExample() {
        // RFC 8785 §3.2.2 input and §3.2.3 output.
        Map<String, Object> input = new LinkedHashMap<>();
        input.put("numbers", List.of(333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001));
        input.put("string", "\u20ac$" + (char) 0x0F + "\nA'B\"\\\\\"/");
        input.put("literals", Arrays.asList(null, true, false));

        assertThat(json(input)).isEqualTo(
                "{\"literals\":[null,true,false],\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],"
                        + "\"string\":\"\u20ac$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}");
    }

    @Test
    void encodesThePublishedSampleToItsPublishedBytes() {
        // cyberphone/json-canonicalization README.md (the JCS reference implementation): sample
        // input and the UTF-8 bytes of its canonical form.
        Map<String, Object> input = new HashMap<>();
        input.put("numbers", List.of(1E30, 4.50, 6.0, 2e-3, 0.000000000000000000000000001));
        input.put("escaping", "\u20ac$" + (char) 0x0F + "\nA'B\"\\\\\"/");
        input.put("other", Arrays.asList(null, true, false));

        assertThat(CanonicalJson.encode(input)).isEqualTo(HexFormat.of().parseHex((""
                + "7b 22 65 73 63 61 70 69 6e 67 22 3a 22 e2 82 ac 24 5c 75 30 30 30 66 5c 6e 41 27 42 5c 22 5c 5c"
                + "5c 5c 5c 22 2f 22 2c 22 6e 75 6d 62 65 72 73 22 3a 5b 31 65 2b 33 30 2c 34 2e 35 2c 36 2c 30 2e"
                + "30 30 32 2c 31 65 2d 32 37 5d 2c 22 6f 74 68 65 72 22 3a 5b 6e 75 6c 6c 2c 74 72 75 65 2c 66 61"
                + "6c 73 65 5d 7d").replace(" ", "")));
    }

    @Test
    void sortsKeysByUtf16CodeUnitsAsInTheRfcExample() {
        // RFC 8785 §3.2.3, the sorting example.
        Map<String, Object> input = new HashMap<>();
        input.put("\u20ac", "Euro Sign");
        input.put("\r", "Carriage Return");
        input.put("\ufb33", "Hebrew Letter Dalet With Dagesh");
        input.put("1", "One");
        input.put("\ud83d\ude00", "Emoji: Grinning Face");
        input.put("\u0080", "Control");
        input.put("\u00f6", "Latin Small Letter O With Diaeresis");

        assertThat(json(input)).isEqualTo("{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u0080\":\"Control\","
                + "\"\u00f6\":\"Latin Small Letter O With Diaeresis\",\"\u20ac\":\"Euro Sign\","
                + "\"\ud83d\ude00\":\"Emoji: Grinning Face\",\"\ufb33\":\"Hebrew Letter Dalet With Dagesh\"}");
    }

    @Test
    void encodesTheReferenceWeirdKeysSample() {
        // cyberphone/json-canonicalization testdata/input/weird.json -> testdata/output/weird.json:
        // a supplementary character (two code units starting 0xD83D) sorts before U+FB33.
        Map<String, Object> input = new TreeMap<>();
        input.put("\u20ac", "Euro Sign");
        input.put("1", "One");
        input.put("\u0080", "Control\u007f");
        input.put("\ud83d\ude02", "Smiley");
        input.put("\u00f6", "Latin Small Letter O With Diaeresis");
        input.put("\ufb33", "Hebrew Letter Dalet With Dagesh");
        input.put("</script>", "Browser Challenge");

        assertThat(json(input)).isEqualTo("{\"1\":\"One\",\"</script>\":\"Browser Challenge\",\"\u0080\":\"Control\u007f\","
                + "\"\u00f6\":\"Latin Small Letter O With Diaeresis\",\"\u20ac\":\"Euro Sign\",\"\ud83d\ude02\":\"Smiley\","
                + "\"\ufb33\":\"Hebrew Letter Dalet With Dagesh\"}");
    }

    @Test
    void serialisesTheRfc8785AppendixBNumbers() {
        // RFC 8785 Appendix B: IEEE 754 bit pattern -> canonical text.
        String[][] vectors = {
            {"0000000000000000", "0"},
            {"8000000000000000", "0"},
            {"0000000000000001", "5e-324"},
            {"8000000000000001", "-5e-324"},
            {"7fefffffffffffff", "1.7976931348623157e+308"},
            {"ffefffffffffffff", "-1.7976931348623157e+308"},
            {"4340000000000000", "9007199254740992"},
            {"c340000000000000", "-9007199254740992"},
            {"4430000000000000", "295147905179352830000"},
            {"44b52d02c7e14af5", "9.999999999999997e+22"},
            {"44b52d02c7e14af6", "1e+23"},
            {"44b52d02c7e14af7", "1.0000000000000001e+23"},
            {"444b1ae4d6e2ef4e", "999999999999999700000"},
            {"444b1ae4d6e2ef4f", "999999999999999900000"},
            {"444b1ae4d6e2ef50", "1e+21"},
            {"3eb0c6f7a0b5ed8c", "9.999999999999997e-7"},
            {"3eb0c6f7a0b5ed8d", "0.000001"},
            {"41b3de4355555553", "333333333.3333332"},
            {"41b3de4355555554", "333333333.33333325"},
            {"41b3de4355555555", "333333333.3333333"},
            {"41b3de4355555556", "333333333.3333334"},
            {"41b3de4355555557", "333333333.33333343"},
            {"becbf647612f3696", "-0.0000033333333333333333"},
            {"43143ff3c1cb0959", "1424953923781206.2"},
        };
        for (String[] vector : vectors) {
            double value = Double.longBitsToDouble(Long.parseUnsignedLong(vector[0], 16));
            assertThat(json(value)).as("0x%s", vector[0]).isEqualTo(vector[1]);
        }
    }

    @Test
    void serialisesNumbersLikeEcmaScript() {
        assertThat(json(1e21)).isEqualTo("1e+21");
        assertThat(json(1e20)).isEqualTo("100000000000000000000");
        assertThat(json(1e-7)).isEqualTo("1e-7");
        assertThat(json(1e-6)).isEqualTo("0.000001");
        assertThat(json(-0.0)).isEqualTo("0");
        assertThat(json(333333333.33333329)).isEqualTo("333333333.3333333");
        assertThat(json(0.1)).isEqualTo("0.1");
        assertThat(json(123.456e-10)).isEqualTo("1.23456e-8");
        assertThat(json(1.5e300)).isEqualTo("1.5e+300");
        assertThat(json(-42.0)).isEqualTo("-42");
        assertThat(json(Double.MIN_NORMAL)).isEqualTo("2.2250738585072014e-308");
        assertThat(json(2e-323)).isEqualTo("2e-323");
        assertThat(json(0.5f)).isEqualTo("0.5");
        assertThat(json(0.1f)).as("a float is widened exactly").isEqualTo("0.10000000149011612");
    }

    @Test
    void serialisesIntegersInTheExactRange() {
        assertThat(json(0L)).isEqualTo("0");
        assertThat(json(42)).isEqualTo("42");
        assertThat(json((short) -7)).isEqualTo("-7");
        assertThat(json((byte) 127)).isEqualTo("127");
        assertThat(json(9_007_199_254_740_991L)).isEqualTo("9007199254740991");
        assertThat(json(-9_007_199_254_740_991L)).isEqualTo("-9007199254740991");
        assertThat(json(Integer.MIN_VALUE)).isEqualTo("-2147483648");
    }

    @Test
    void numbersRoundTripThroughTheirText() {
        Random random = new Random(8785);
        for (int i = 0; i < 20_000; i++) {
            double value = Double.longBitsToDouble(random.nextLong());
            if (Double.isNaN(value) || Double.isInfinite(value)) {
                continue;
            }
            String text = json(value);
            assertThat(Double.parseDouble(text)).as(text).isEqualTo(value == 0 ? 0.0 : value);
            assertThat(text).doesNotContain("E").doesNotStartWith("+");
        }
    }

    @Test
    void escapesExactlyTheRfcSet() {
        StringBuilder controls = new StringBuilder();
        for (char c = 0; c < 0x20; c++) {
            controls.append(c);
        }

        assertThat(json(controls.toString())).isEqualTo("\"\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007"
                + "\\b\\t\\n\\u000b\\f\\r\\u000e\\u000f\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017"
                + "\\u0018\\u0019\\u001a\\u001b\\u001c\\u001d\\u001e\\u001f\"");
        assertThat(json("\"\\/\u007f\u2028\u00e9\ud83d\ude00")).isEqualTo("\"\\\"\\\\/\u007f\u2028\u00e9\ud83d\ude00\"");
        assertThat(CanonicalJson.encode("\u00e9")).isEqualTo(new byte[] {'"', (byte) 0xc3, (byte) 0xa9, '"'});
    }

    @Test
    void encodesNestedStructuresWithoutWhitespace() {
        Map<String, Object> inner = new HashMap<>();
        inner.put("b", List.of());
        inner.put("a", Map.of());
        Map<String, Object> outer = new HashMap<>();
        outer.put("z", inner);
        outer.put("y", null);
        outer.put("x", List.of(List.of(1, "two"), false));

        assertThat(json(outer)).isEqualTo("{\"x\":[[1,\"two\"],false],\"y\":null,\"z\":{\"a\":{},\"b\":[]}}");
        assertThat(json(null)).isEqualTo("null");
    }

    @Test
    void rejectsValuesOutsideTheJsonDataModel() {
        assertThatThrownBy(() -> CanonicalJson.encode(Double.NaN))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("JSON numbers must be finite, was NaN");
        assertThatThrownBy(() -> CanonicalJson.encode(List.of(Double.NEGATIVE_INFINITY)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("JSON numbers must be finite, was -Infinity");
        assertThatThrownBy(() -> CanonicalJson.encode(Float.POSITIVE_INFINITY))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("JSON numbers must be finite, was Infinity");
        assertThatThrownBy(() -> CanonicalJson.encode(Map.of("n", new BigDecimal("1.5"))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("cannot encode a java.math.BigDecimal as canonical JSON"
                        + " (use Map, List, String, Long, Integer, Short, Byte, Double, Float, Boolean or null)");
        assertThatThrownBy(() -> CanonicalJson.encode(Map.of(1, "one")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("JSON object keys must be strings, was a java.lang.Integer");
        Map<String, Object> nullKey = new HashMap<>();
        nullKey.put(null, "x");
        assertThatThrownBy(() -> CanonicalJson.encode(nullKey))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("JSON object keys must be strings, was null");
        assertThatThrownBy(() -> CanonicalJson.encode(9_007_199_254_740_992L))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("integer 9007199254740992 is outside the exact JSON range ±(2^53 - 1); encode it as a string");
        assertThatThrownBy(() -> CanonicalJson.encode("a\ud800b"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("JSON strings must be Unicode text: lone surrogate U+D800 at index 1");
        assertThatThrownBy(() -> CanonicalJson.encode(Map.of("\udc00", 1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("JSON strings must be Unicode text: lone surrogate U+DC00 at index 0");
    }

    @Test
    void rejectsCyclicStructures() {
        List<Object> cycle = new java.util.ArrayList<>();
        cycle.add(cycle);

        assertThatThrownBy(() -> CanonicalJson.encode(cycle))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("JSON nesting must be at most 500 levels (a cycle?)");
    }
}
