package io.sluice.broker.cli;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A plain-text table a person reads and a diff compares: every column as wide as its widest cell,
 * two spaces between columns, text left-aligned and numbers right-aligned, and no trailing blanks
 * (the last column, when left-aligned, is not padded).
 */
final class TextTable {
    enum Align { LEFT, RIGHT }

    private final List<String> headings;
    private final List<Align> aligns;
    private final List<List<String>> rows = new ArrayList<>();
    private final int[] widths;

    TextTable(List<String> headings, List<Align> aligns) {
        if (headings.size() != aligns.size()) {
            throw new IllegalArgumentException("need one alignment per heading, had " + headings.size() + " headings and "
                    + aligns.size() + " alignments");
        }
        this.headings = List.copyOf(headings);
        this.aligns = List.copyOf(aligns);
        this.widths = new int[headings.size()];
        fit(headings);
    }

    /** A count with thousands separators, the same on every machine (not the user's locale). */
    static String number(long value) {
        return String.format(Locale.ROOT, "%,d", value);
    }

    TextTable add(List<String> cells) {
        requireNonNull(cells, "cells is null");
        if (cells.size() != widths.length) {
            throw new IllegalArgumentException("a row needs " + widths.length + " cells, had " + cells.size());
        }
        rows.add(List.copyOf(cells));
        fit(cells);
        return this;
    }

    /** Makes room for these cells without adding them: for rows printed later, one at a time. */
    void fit(List<String> cells) {
        for (int i = 0; i < widths.length; i++) {
            widths[i] = Math.max(widths[i], cells.get(i).length());
        }
    }

    String heading() {
        return line(headings);
    }

    /** The heading and every row added, each ending with a line break. */
    String render() {
        StringBuilder out = new StringBuilder(line(headings)).append('\n');
        rows.forEach(row -> out.append(line(row)).append('\n'));
        return out.toString();
    }

    /** One row laid out in this table's columns, without a line break. */
    String line(List<String> cells) {
        StringBuilder line = new StringBuilder();
        for (int i = 0; i < cells.size(); i++) {
            String cell = cells.get(i);
            String pad = " ".repeat(Math.max(0, widths[i] - cell.length()));
            if (i > 0) {
                line.append("  ");
            }
            boolean last = i == cells.size() - 1;
            line.append(aligns.get(i) == Align.RIGHT ? pad + cell : last ? cell : cell + pad);
        }
        return line.toString();
    }
}
