package io.sluice.loader;

import java.util.Objects;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where a training stream stands: epoch, shard, shuffle seed, and how many batches of the shard's
 * order for that epoch were fully delivered. Given back to {@link GpuLoader#openTraining}, it
 * continues with the next batch — no row repeated, none skipped — provided the broker serves the
 * same dataset version (the broker orders batches deterministically by seed, epoch and shards, and
 * skips {@code position} of them, query parameter {@code from}).
 *
 * <p>Serialises to a short token, e.g. {@code v1.e3.s1of4.seed42.p17} ({@code noseed} when the
 * stream is not shuffled), with {@link #token()} and {@link #parse(String)}.
 *
 * @param epoch the training epoch, at least 0
 * @param shard the zero-based shard index (the rank), {@code 0 <= shard < shards}
 * @param shards the number of shards (the world size), at least 1
 * @param seed the shuffle seed; empty for the broker's natural order
 * @param position batches of this shard and epoch already delivered, at least 0
 */
public record Checkpoint(int epoch, int shard, int shards, OptionalLong seed, long position) {

    private static final Pattern TOKEN =
            Pattern.compile("v1\\.e(\\d{1,10})\\.s(\\d{1,10})of(\\d{1,10})\\.(noseed|seed(-?\\d{1,19}))\\.p(\\d{1,19})");

    public Checkpoint {
        Objects.requireNonNull(seed, "seed is null");
        new StreamRequest(shard, shards, epoch); // the same rules, the same messages
        if (position < 0) {
            throw new IllegalArgumentException("position must be >= 0, was " + position);
        }
    }

    /** The start of an epoch for rank {@code rank} of {@code worldSize}, shuffled by {@code seed}. */
    public static Checkpoint start(int rank, int worldSize, int epoch, long seed) {
        return new Checkpoint(epoch, rank, worldSize, OptionalLong.of(seed), 0);
    }

    /** The start of an epoch for rank {@code rank} of {@code worldSize}, in the broker's natural order. */
    public static Checkpoint start(int rank, int worldSize, int epoch) {
        return new Checkpoint(epoch, rank, worldSize, OptionalLong.empty(), 0);
    }

    /** The start of {@code request}'s shard and epoch, unshuffled. */
    public static Checkpoint start(StreamRequest request) {
        return start(request.shard(), request.shards(), request.epoch());
    }

    /**
     * Reads a token made by {@link #token()}.
     *
     * @throws IllegalArgumentException naming what is wrong with the token
     */
    public static Checkpoint parse(String token) {
        Objects.requireNonNull(token, "token is null");
        Matcher m = TOKEN.matcher(token.strip());
        if (!m.matches()) {
            throw new IllegalArgumentException("not a checkpoint token (expected like v1.e3.s1of4.seed42.p17): " + token);
        }
        try {
            OptionalLong seed = m.group(4).equals("noseed") ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(m.group(5)));
            return new Checkpoint(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)),
                    seed, Long.parseLong(m.group(6)));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("checkpoint token has a number out of range: " + token, e);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("checkpoint token " + token + " is invalid: " + e.getMessage(), e);
        }
    }

    /** The short string form, e.g. {@code v1.e3.s1of4.seed42.p17}. */
    public String token() {
        return "v1.e" + epoch + ".s" + shard + "of" + shards + "."
                + (seed.isPresent() ? "seed" + seed.getAsLong() : "noseed") + ".p" + position;
    }

    /** The same shard and seed, {@code batches} further on. */
    public Checkpoint advance(long batches) {
        if (batches < 0) {
            throw new IllegalArgumentException("batches must be >= 0, was " + batches);
        }
        return new Checkpoint(epoch, shard, shards, seed, Math.addExact(position, batches));
    }

    /** The start of the next epoch, same shard and seed. */
    public Checkpoint nextEpoch() {
        return new Checkpoint(Math.addExact(epoch, 1), shard, shards, seed, 0);
    }

    /** The shard and epoch as a {@link StreamRequest}. */
    public StreamRequest request() {
        return new StreamRequest(shard, shards, epoch);
    }

    @Override
    public String toString() {
        return token();
    }
}
