package io.sluice.broker;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** A stream quota holds under concurrent opens, and control characters in input are a 400, not a failed commit. */
@ExtendWith(NoBrokerThreadLeft.class)
class StreamQuotaIT {
    @TempDir
    Path dir;

    @Test
    void concurrentOpensNeverExceedTheQuota() throws Exception {
        BrokerConfig config = BrokerConfig.embedded(dir);
        TestParquet.write(config.sourcesDir().resolve("hospital-a/small.parquet"));
        try (Broker broker = Broker.start(config)) {
            String owner = TestHttp.devToken(broker, "owner", "hospital-a", "data-owner");
            String lab = TestHttp.devToken(broker, "lab", "ai-lab", "data-consumer");
            String datasetId = TestHttp.id(TestHttp.post(broker, "/v1/datasets", owner, "{\"name\":\"small\",\"source\":"
                    + "{\"type\":\"parquet\",\"path\":\"small.parquet\"},\"policy\":{\"@type\":\"Set\",\"permission\":"
                    + "[{\"action\":\"use\",\"constraint\":[{\"leftOperand\":\"count\",\"operator\":\"lteq\","
                    + "\"rightOperand\":3}]}]}}").body());
            String grantId = TestHttp.id(TestHttp.post(broker, "/v1/grants", lab,
                    "{\"dataset\":\"" + datasetId + "\",\"purpose\":\"research\"}").body());
            ExecutorService clients = Executors.newFixedThreadPool(12);
            List<Future<Integer>> statuses = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                Callable<Integer> open = () -> TestHttp.get(broker, "/v1/grants/" + grantId + "/stream", lab).statusCode();
                statuses.add(clients.submit(open));
            }
            int ok = 0;
            for (Future<Integer> status : statuses) {
                int code = status.get();
                assertThat(code).isIn(200, 403);
                ok += code == 200 ? 1 : 0;
            }
            clients.shutdown();
            assertThat(ok).isEqualTo(3);
        }
    }

    @Test
    void controlCharactersInInputAreRefusedWith400() throws Exception {
        try (Broker broker = Broker.start(BrokerConfig.embedded(dir))) {
            String lab = TestHttp.devToken(broker, "lab", "ai-lab", "data-consumer");
            var response = TestHttp.post(broker, "/v1/grants", lab, "{\"dataset\":\"ds-x\",\"purpose\":\"x\\u0000y\"}");
            assertThat(response.statusCode()).isEqualTo(400);
            assertThat(response.body()).contains("must not contain control characters");
            assertThat(TestHttp.get(broker, "/health", null).statusCode()).isEqualTo(200);
        }
    }
}
