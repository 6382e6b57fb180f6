package io.sluice.policy.enforce;

import io.sluice.policy.internal.filter.Bitmaps;

/**
 * The rows of one input batch that survive the row filter and opt-outs: either all of them, or
 * the ascending indices in {@link #indices}. Owned by one pipeline and reused batch to batch.
 */
final class Selection {
    int rows;
    int count;
    boolean all;
    int[] indices = new int[0];
    /** The selected rows as bitmap words (valid when not {@link #all}). */
    long[] selected = new long[0];
    long[] words = new long[0];
    long[] packed = new long[0];

    /** Everything selected. */
    void all(int rows) {
        this.rows = rows;
        this.count = rows;
        this.all = true;
    }

    /** The rows set in {@code selected}. */
    void of(long[] selected, int rows) {
        this.rows = rows;
        this.count = Bitmaps.count(selected, rows);
        this.all = count == rows;
        if (!all) {
            int n = Bitmaps.words(rows);
            if (this.selected.length < n) {
                this.selected = new long[Math.max(n, this.selected.length * 2)];
            }
            System.arraycopy(selected, 0, this.selected, 0, n);
            if (indices.length < count) {
                indices = new int[Math.max(count, indices.length * 2)];
            }
            Bitmaps.indices(selected, rows, indices);
        }
    }

    /** The input row of output row {@code k}. */
    int row(int k) {
        return all ? k : indices[k];
    }

    /** Zeroed scratch words for the packed bits of the selected rows, with one spare word. */
    long[] packed() {
        int n = Bitmaps.words(count) + 1;
        if (packed.length < n) {
            packed = new long[Math.max(n, packed.length * 2)];
        } else {
            java.util.Arrays.fill(packed, 0, n, 0L);
        }
        return packed;
    }

    /** Scratch words for {@code rows} rows, zeroed. */
    long[] scratch(int rows) {
        int n = Bitmaps.words(rows);
        if (words.length < n) {
            words = new long[Math.max(n, words.length * 2)];
        } else {
            java.util.Arrays.fill(words, 0, n, 0L);
        }
        return words;
    }
}
