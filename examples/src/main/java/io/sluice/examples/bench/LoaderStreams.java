package io.sluice.examples.bench;

import static java.util.Objects.requireNonNull;

import io.sluice.loader.GpuLoader;
import io.sluice.loader.GrantStream;
import io.sluice.loader.StreamRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.Supplier;

/**
 * Sluice broker -> GPU loader: {@code ranks} concurrent {@link GrantStream}s of one grant, rank
 * {@code r} asking for {@code shard=r&shards=ranks}, each on its own thread, every batch released
 * as soon as it arrives (where a training loop would run). One rank is the whole dataset in one
 * stream. Bytes are those the loader received (the IPC stream), summed over the ranks; the time is
 * from the first open to the last end.
 */
final class LoaderStreams {
    private final GpuLoader loader;
    private final String grantId;
    private final Supplier<String> token;
    private final int ranks;

    LoaderStreams(GpuLoader loader, String grantId, Supplier<String> token, int ranks) {
        this.loader = requireNonNull(loader, "loader is null");
        this.grantId = requireNonNull(grantId, "grantId is null");
        this.token = requireNonNull(token, "token is null");
        if (ranks < 1) {
            throw new IllegalArgumentException("ranks must be >= 1, was " + ranks);
        }
        this.ranks = ranks;
    }

    Transfer run() throws Exception {
        return Transfer.timed(() -> {
            if (ranks == 1) {
                return drain(StreamRequest.whole());
            }
            List<CompletableFuture<long[]>> shares = new ArrayList<>();
            for (int rank = 0; rank < ranks; rank++) {
                StreamRequest request = new StreamRequest(rank, ranks, 0);
                CompletableFuture<long[]> share = new CompletableFuture<>();
                Thread.ofPlatform().name("rank-" + rank).start(() -> {
                    try {
                        share.complete(drain(request));
                    } catch (RuntimeException e) {
                        share.completeExceptionally(e);
                    }
                });
                shares.add(share);
            }
            long bytes = 0;
            long rows = 0;
            for (CompletableFuture<long[]> share : shares) {
                try {
                    long[] counted = share.get();
                    bytes += counted[0];
                    rows += counted[1];
                } catch (ExecutionException e) {
                    throw new IllegalStateException("a rank's stream failed: " + e.getCause().getMessage(), e.getCause());
                }
            }
            return new long[] {bytes, rows};
        });
    }

    private long[] drain(StreamRequest request) {
        try (GrantStream stream = loader.open(grantId, request, token)) {
            while (stream.hasNext()) {
                // The training loop would run here; the batch is released at once.
                stream.next().close();
            }
            return new long[] {stream.bytesReceived(), stream.rows()};
        }
    }
}
