package io.sluice.broker.metrics;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The samples of a scrape in the Prometheus text format (0.0.4): each {@code name{labels} value}
 * line, with comments skipped. Enough of the format for the broker's own output: label values are
 * unescaped ({@code \\}, {@code \"}, {@code \n}); timestamps, which the broker does not write, are refused.
 */
public record PrometheusText(List<Sample> samples) {
    private static final Pattern LINE = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)\\})? (\\S+)");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\",?");

    /** One sample line. */
    public record Sample(String name, Map<String, String> labels, double value) {
        public Sample {
            labels = Map.copyOf(labels);
        }
    }

    public PrometheusText {
        samples = List.copyOf(samples);
    }

    public static PrometheusText parse(String text) {
        List<Sample> samples = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            Matcher matcher = LINE.matcher(line);
            if (!matcher.matches()) {
                throw new IllegalArgumentException("not a sample line: " + line);
            }
            samples.add(new Sample(matcher.group(1), labels(matcher.group(2), line), number(matcher.group(3))));
        }
        return new PrometheusText(samples);
    }

    /** Every sample name, histogram series ({@code _bucket}, {@code _count}, ...) included. */
    public Set<String> names() {
        Set<String> names = new TreeSet<>();
        samples.forEach(s -> names.add(s.name()));
        return names;
    }

    /** The samples of {@code name} whose labels include {@code labels}. */
    public List<Sample> matching(String name, Map<String, String> labels) {
        return samples.stream().filter(s -> s.name().equals(name)
                && s.labels().entrySet().containsAll(labels.entrySet())).toList();
    }

    /** The value of the one sample of {@code name} with these labels (among others); fails unless exactly one. */
    public double value(String name, Map<String, String> labels) {
        List<Sample> found = matching(name, labels);
        if (found.size() != 1) {
            throw new AssertionError("expected one sample " + name + labels + ", found " + found);
        }
        return found.getFirst().value();
    }

    public double value(String name) {
        return value(name, Map.of());
    }

    /** The sum of every sample of {@code name} with these labels (among others). */
    public double sum(String name, Map<String, String> labels) {
        return matching(name, labels).stream().mapToDouble(Sample::value).sum();
    }

    private static Map<String, String> labels(String text, String line) {
        Map<String, String> labels = new LinkedHashMap<>();
        if (text == null || text.isEmpty()) {
            return labels;
        }
        Matcher matcher = LABEL.matcher(text);
        int end = 0;
        while (matcher.find() && matcher.start() == end) {
            labels.put(matcher.group(1), matcher.group(2).replace("\\n", "\n").replace("\\\"", "\"")
                    .replace("\\\\", "\\"));
            end = matcher.end();
        }
        if (end != text.length()) {
            throw new IllegalArgumentException("labels not understood in: " + line);
        }
        return labels;
    }

    private static double number(String text) {
        return switch (text) {
            case "+Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            case "NaN" -> Double.NaN;
            default -> Double.parseDouble(text);
        };
    }
}
