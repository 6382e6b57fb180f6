package io.sluice.loader;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * A stand-in for the broker's stream route, on 127.0.0.1: {@code GET /v1/grants/{id}/stream}
 * answers what was {@link #route registered} for the grant, after checking the bearer token, and
 * {@code GET /v1/grants/{id}/receipt} the {@link #receipt receipt} given for it.
 */
final class FakeBroker implements AutoCloseable {

    static final String TOKEN = "test-token";

    /** What to answer for one grant. */
    sealed interface Answer {
    }

    /** The whole stream, with a Content-Length. */
    record Stream(String streamId, byte[] bytes) implements Answer {
    }

    /** Chunked, {@code bytes} only, ended cleanly: the body itself is short. */
    record Chunked(String streamId, byte[] bytes) implements Answer {
    }

    /** An error status with a body. */
    record Error(int status, String contentType, String body) implements Answer {
    }

    /**
     * A dataset of batches served the way the broker serves it: the order of the batches is
     * shuffled by {@code seed} and {@code epoch} when a seed is given, shard {@code shard} of
     * {@code shards} takes every {@code shards}-th batch of that order, and {@code from} skips that
     * many of the shard's batches. Stream ids are {@code prefix-1}, {@code prefix-2}, ...
     */
    record Dataset(String prefix, List<List<TestStreams.Row>> batches) implements Answer {
    }

    private final HttpServer server;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final Map<String, Answer> answers = new ConcurrentHashMap<>();
    private final List<String> queries = new CopyOnWriteArrayList<>();
    private final Map<String, String> receipts = new ConcurrentHashMap<>();

    FakeBroker() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(executor);
        server.createContext("/v1/grants/", this::handle);
        server.start();
    }

    URI uri() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    FakeBroker route(String grantId, Answer answer) {
        answers.put(grantId, answer);
        return this;
    }

    /** Answers {@code GET /v1/grants/{grantId}/receipt} with this JSON. */
    FakeBroker receipt(String grantId, String json) {
        receipts.put(grantId, json);
        return this;
    }

    /** The query strings received, in order. */
    List<String> queries() {
        return List.copyOf(queries);
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            queries.add(exchange.getRequestURI().getRawQuery());
            if (!("Bearer " + TOKEN).equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
                send(exchange, new Error(401, "application/json", """
                        {"code": 3003, "error": "unauthenticated", "message": "a bearer token is required",
                         "requestId": "req-401", "reasons": []}"""));
                return;
            }
            if (path.endsWith("/receipt")) {
                String receipt = receipts.get(path.substring("/v1/grants/".length(), path.length() - "/receipt".length()));
                if (receipt == null) {
                    send(exchange, new Error(404, "application/json", "{\"code\": 3005, \"error\": \"not_found\","
                            + " \"message\": \"no receipt\", \"requestId\": \"req-404\"}"));
                    return;
                }
                byte[] body = receipt.getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().set("Content-Type", "application/json");
                exchange.sendResponseHeaders(200, body.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
                return;
            }
            String grantId = path.substring("/v1/grants/".length(), path.length() - "/stream".length());
            Answer answer = answers.get(grantId);
            if (!path.endsWith("/stream") || answer == null) {
                send(exchange, new Error(404, "application/json", """
                        {"code": 3005, "error": "not_found", "message": "no grant %s", "requestId": "req-404"}"""
                        .formatted(grantId)));
                return;
            }
            send(exchange, answer);
        }
    }

    private final java.util.concurrent.atomic.AtomicInteger served = new java.util.concurrent.atomic.AtomicInteger();

    private void send(HttpExchange exchange, Answer answer) throws IOException {
        switch (answer) {
            case Dataset(String prefix, List<List<TestStreams.Row>> batches) -> {
                byte[] bytes = TestStreams.write(order(batches, exchange.getRequestURI().getRawQuery())).bytes();
                streamHeaders(exchange, prefix + "-" + served.incrementAndGet());
                exchange.sendResponseHeaders(200, bytes.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(bytes);
                }
            }
            case Stream(String streamId, byte[] bytes) -> {
                streamHeaders(exchange, streamId);
                exchange.sendResponseHeaders(200, bytes.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(bytes);
                }
            }
            case Chunked(String streamId, byte[] bytes) -> {
                streamHeaders(exchange, streamId);
                exchange.sendResponseHeaders(200, 0);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(bytes);
                }
            }
            case Error(int status, String contentType, String body) -> {
                byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().set("Content-Type", contentType);
                exchange.sendResponseHeaders(status, bytes.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(bytes);
                }
            }
        }
    }

    /** The batches a request for {@code query} gets, in the order it gets them. */
    static List<List<TestStreams.Row>> order(List<List<TestStreams.Row>> batches, String query) {
        Map<String, String> params = new java.util.HashMap<>();
        for (String pair : query.split("&")) {
            int eq = pair.indexOf('=');
            params.put(pair.substring(0, eq), pair.substring(eq + 1));
        }
        List<Integer> order = new java.util.ArrayList<>();
        for (int i = 0; i < batches.size(); i++) {
            order.add(i);
        }
        if (params.containsKey("seed")) {
            long seed = Long.parseLong(params.get("seed")) * 31 + Integer.parseInt(params.get("epoch"));
            java.util.Collections.shuffle(order, new java.util.Random(seed));
        }
        int shard = Integer.parseInt(params.get("shard"));
        int shards = Integer.parseInt(params.get("shards"));
        long from = Long.parseLong(params.getOrDefault("from", "0"));
        List<List<TestStreams.Row>> served = new java.util.ArrayList<>();
        for (int i = shard; i < order.size(); i += shards) {
            served.add(batches.get(order.get(i)));
        }
        return List.copyOf(served.subList((int) Math.min(from, served.size()), served.size()));
    }

    private static void streamHeaders(HttpExchange exchange, String streamId) {
        exchange.getResponseHeaders().set("Content-Type", GpuLoader.ARROW_STREAM_MEDIA_TYPE);
        exchange.getResponseHeaders().set(GpuLoader.STREAM_ID_HEADER, streamId);
    }

    @Override
    public void close() {
        server.stop(0);
        executor.close();
    }
}
