package io.sluice.broker;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.ipc.ArrowStreamReader;

/** Reads a grant's stream as a plain Arrow client would, for tests of what a stream holds and in which order. */
public final class TestStreams {
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private TestStreams() {}

    /**
     * One stream: the scheme the broker announced and, batch by batch, the values of its first
     * column (an int64 id in these tests), zero-row batches included.
     */
    public record Read(String scheme, List<List<Long>> batches) {
        public List<Long> rows() {
            return batches.stream().flatMap(List::stream).toList();
        }
    }

    /** {@code GET /v1/grants/{grantId}/stream?query}; asserts 200. */
    public static Read read(URI broker, String grantId, String token, String query) throws Exception {
        HttpResponse<InputStream> response = HTTP.send(HttpRequest.newBuilder(
                        broker.resolve("/v1/grants/" + grantId + "/stream?" + query))
                .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofInputStream());
        assertThat(response.statusCode()).isEqualTo(200);
        List<List<Long>> batches = new ArrayList<>();
        try (BufferAllocator allocator = new RootAllocator();
                ArrowStreamReader reader = new ArrowStreamReader(response.body(), allocator)) {
            while (reader.loadNextBatch()) {
                BigIntVector ids = (BigIntVector) reader.getVectorSchemaRoot().getFieldVectors().getFirst();
                List<Long> batch = new ArrayList<>();
                for (int i = 0; i < reader.getVectorSchemaRoot().getRowCount(); i++) {
                    batch.add(ids.get(i));
                }
                batches.add(batch);
            }
        }
        return new Read(response.headers().firstValue("Sluice-Stream-Scheme").orElse(""), batches);
    }
}
