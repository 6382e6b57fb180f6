package io.sluice.examples.bench;

import java.util.Arrays;
import java.util.List;
import java.util.OptionalDouble;

/** Median, minimum and maximum of a few measured values. */
record Stats(double median, double min, double max, int count) {

    /** The statistics of {@code values}; empty when there are none. */
    static java.util.Optional<Stats> of(List<Double> values) {
        double[] sorted = values.stream().mapToDouble(Double::doubleValue).filter(v -> !Double.isNaN(v)).sorted().toArray();
        if (sorted.length == 0) {
            return java.util.Optional.empty();
        }
        int middle = sorted.length / 2;
        double median = sorted.length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
        return java.util.Optional.of(new Stats(median, sorted[0], sorted[sorted.length - 1], sorted.length));
    }

    /** The median of {@code values}, or empty. */
    static OptionalDouble median(List<Double> values) {
        return of(values).map(stats -> OptionalDouble.of(stats.median())).orElse(OptionalDouble.empty());
    }

    @Override
    public String toString() {
        return "median " + median + " (" + count + " values " + Arrays.toString(new double[] {min, max}) + ")";
    }
}
