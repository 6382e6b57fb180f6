package io.sluice.examples.bench;

import static java.util.Objects.requireNonNull;

import io.sluice.examples.BrokerClient;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Many concurrent whole-dataset streams of one grant, each a {@link RawHttpStream} on its own
 * thread, for at most a given time: readers either read as fast as they can (1 MiB reads) or slowly
 * ({@code slowReadBytes} every {@code slowInterval}, with a small socket receive buffer). When the
 * time is up, the streams still running are cut, and the crowd waits until the broker has recorded
 * every stream as ended (its {@code /v1/streams/{id}} no longer says {@code running}), so that the
 * next measurement starts on an idle broker.
 */
final class ConsumerCrowd {
    private static final int FAST_READ_BYTES = 1 << 20;
    private static final int SLOW_RECEIVE_BUFFER = 64 * 1024;
    private static final Duration SETTLE_TIMEOUT = Duration.ofSeconds(60);

    /** How each consumer reads. */
    record Pace(Optional<Integer> slowReadBytes, Duration slowInterval) {
        static Pace fast() {
            return new Pace(Optional.empty(), Duration.ZERO);
        }

        static Pace slow(int readBytes, Duration interval) {
            if (readBytes < 1) {
                throw new IllegalArgumentException("slow read bytes must be >= 1, was " + readBytes);
            }
            return new Pace(Optional.of(readBytes), interval);
        }
    }

    /**
     * What the crowd did.
     *
     * @param bodyBytes body bytes all consumers read (chunk framing included)
     * @param seconds from the first request to the last stream's end, or to the time bound
     * @param completed streams that arrived whole before the time bound
     */
    record Outcome(int consumers, long bodyBytes, double seconds, int completed) {
        double megabytesPerSecond() {
            return bodyBytes / 1e6 / seconds;
        }
    }

    private final BrokerClient client;
    private final URI broker;
    private final String grantId;
    private final Supplier<String> token;

    ConsumerCrowd(URI broker, String grantId, Supplier<String> token) {
        this.broker = requireNonNull(broker, "broker is null");
        this.client = new BrokerClient(broker);
        this.grantId = requireNonNull(grantId, "grantId is null");
        this.token = requireNonNull(token, "token is null");
    }

    /**
     * Runs {@code consumers} streams for at most {@code timeBound}. {@code beforeCut} runs when all
     * streams ended or the time is up, before the streams still running are cut (the slow-consumer
     * phase reads the broker's memory there, with every stream still open).
     */
    Outcome run(int consumers, Pace pace, Duration timeBound, Runnable beforeCut) throws Exception {
        List<RawHttpStream> streams = new ArrayList<>();
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        CountDownLatch finished = new CountDownLatch(consumers);
        long[] lastEnd = {0};
        List<Thread> threads = new ArrayList<>();
        long begin = System.nanoTime();
        try {
            for (int i = 0; i < consumers; i++) {
                RawHttpStream stream = RawHttpStream.open(broker, "/v1/grants/" + grantId + "/stream", token.get(),
                        pace.slowReadBytes().isPresent() ? OptionalInt.of(SLOW_RECEIVE_BUFFER) : OptionalInt.empty());
                streams.add(stream);
                threads.add(Thread.ofPlatform().name("consumer-" + i).start(() -> {
                    try {
                        consume(stream, pace);
                    } catch (ClosedChannelException e) {
                        // Cut at the time bound.
                    } catch (IOException | RuntimeException e) {
                        failures.add(e);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    } finally {
                        synchronized (lastEnd) {
                            lastEnd[0] = Math.max(lastEnd[0], System.nanoTime());
                        }
                        finished.countDown();
                    }
                }));
            }
            boolean allDone = finished.await(Math.max(1, begin + timeBound.toNanos() - System.nanoTime()),
                    TimeUnit.NANOSECONDS);
            long end = allDone ? lastEnd[0] : System.nanoTime();
            long bytes = streams.stream().mapToLong(RawHttpStream::bodyBytes).sum();
            beforeCut.run();
            for (RawHttpStream stream : streams) {
                stream.close();
            }
            for (Thread thread : threads) {
                thread.join();
            }
            if (!failures.isEmpty()) {
                throw new IllegalStateException(failures.size() + " of " + consumers + " consumers failed, first: "
                        + failures.peek().getMessage(), failures.peek());
            }
            int completed = (int) streams.stream().filter(RawHttpStream::complete).count();
            return new Outcome(consumers, bytes, (end - begin) / 1e9, completed);
        } finally {
            for (RawHttpStream stream : streams) {
                stream.close();
            }
            awaitEnded(streams);
        }
    }

    private static void consume(RawHttpStream stream, Pace pace) throws IOException, InterruptedException {
        ByteBuffer buffer = ByteBuffer.allocateDirect(pace.slowReadBytes().orElse(FAST_READ_BYTES));
        while (stream.read(buffer) >= 0) {
            if (pace.slowReadBytes().isPresent()) {
                Thread.sleep(pace.slowInterval());
            }
        }
    }

    /** Waits until the broker records each stream as ended. */
    private void awaitEnded(List<RawHttpStream> streams) throws InterruptedException {
        long deadline = System.nanoTime() + SETTLE_TIMEOUT.toNanos();
        for (RawHttpStream stream : streams) {
            if (stream.streamId().isEmpty()) {
                continue;
            }
            String path = "/v1/streams/" + stream.streamId().get();
            while (System.nanoTime() < deadline) {
                BrokerClient.Response status = client.get(path, Optional.of(token.get()));
                if (!status.ok() || !"running".equals(status.body().path("status").asText())) {
                    break;
                }
                Thread.sleep(20);
            }
        }
    }
}
