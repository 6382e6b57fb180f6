package io.sluice.broker.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.broker.Broker;
import io.sluice.broker.BrokerConfig;
import io.sluice.broker.TestCli;
import io.sluice.broker.TestHttp;
import io.sluice.broker.TestParquet;
import io.sluice.broker.TestPolicies;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code sluice audit report} over a known workload: two consuming organisations, two datasets, two
 * purposes, three streams and a denial. Every total is checked against what the test itself counted
 * (rows from the files it wrote, bytes from the bodies it received), and every table's columns line up.
 */
class AuditReportIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    private Broker broker;
    private String auditor;
    private String small;
    private String big;
    private Path key;
    private final List<Long> smallBytes = new ArrayList<>();
    private long bigBytes;

    @BeforeEach
    void startBrokerWithAWorkload() throws Exception {
        BrokerConfig config = BrokerConfig.embedded(dir.resolve("broker"));
        TestParquet.write(config.sourcesDir().resolve("hospital-a/small.parquet"), 1000);
        TestParquet.write(config.sourcesDir().resolve("hospital-a/big.parquet"), 3000);
        broker = Broker.start(config);
        String owner = TestHttp.devToken(broker, "olga", "hospital-a", "data-owner");
        String lab = TestHttp.devToken(broker, "lars", "ai-lab", "data-consumer");
        String pharma = TestHttp.devToken(broker, "pia", "pharma-co", "data-consumer");
        auditor = TestHttp.devToken(broker, "ines", "ehds-authority", "compliance-officer");
        small = register(owner, "small");
        big = register(owner, "big");
        String labGrant = grant(lab, small, "medical-research");
        smallBytes.add(stream(labGrant, lab));
        smallBytes.add(stream(labGrant, lab));
        bigBytes = stream(grant(pharma, big, "statistics"), pharma);
        assertThat(TestHttp.post(broker, "/v1/grants", lab, "{\"dataset\":\"" + small + "\",\"purpose\":\"marketing\"}")
                .statusCode()).isEqualTo(403);
        key = dir.resolve("audit.pub");
        Files.writeString(key, TestHttp.getText(broker, "/v1/audit/public-key", null));
    }

    @AfterEach
    void stopBroker() {
        broker.close();
    }

    @Test
    void totalsPerOrganisationPurposeAndDatasetAreExactWithoutNamingADataset() throws Exception {
        TestCli.Result report = report("--format", "json");

        assertThat(report.exitCode()).as(report.output()).isZero();
        JsonNode json = JSON.readTree(report.output());
        long labBytes = smallBytes.get(0) + smallBytes.get(1);
        assertThat(sums(json.path("byOrganisation"), "organisation")).containsExactly(
                "ai-lab 2 0 2000 " + labBytes, "pharma-co 1 0 3000 " + bigBytes);
        assertThat(sums(json.path("byPurpose"), "purpose")).containsExactly(
                "medical-research 2 0 2000 " + labBytes, "statistics 1 0 3000 " + bigBytes);
        List<String> byDataset = new ArrayList<>();
        json.path("byDataset").forEach(d -> byDataset.add(d.path("dataset").asText() + " " + d.path("name").asText() + " "
                + d.path("owner").asText() + " " + d.path("streams").asLong() + " " + d.path("rows").asLong() + " "
                + d.path("bytes").asLong()));
        assertThat(byDataset).containsExactlyInAnyOrder(small + " small hospital-a 2 2000 " + labBytes,
                big + " big hospital-a 1 3000 " + bigBytes);
        JsonNode total = json.path("total");
        assertThat(List.of(total.path("streams").asLong(), total.path("rows").asLong(), total.path("bytes").asLong()))
                .containsExactly(3L, 5000L, labBytes + bigBytes);
        assertThat(json.path("log").path("signatureVerified").asBoolean()).isTrue();
    }

    @Test
    void theTextReportIsAlignedWithThousandsSeparatorsAndTheSameTotals() throws Exception {
        TestCli.Result report = report();

        assertThat(report.exitCode()).as(report.output()).isZero();
        List<List<String>> tables = tables(report.output());
        assertThat(tables).hasSize(3);
        for (List<String> table : tables) {
            // Numbers are right-aligned in the last columns: every line of a totals table is as long as its heading.
            assertThat(table).extracting(String::length).as(String.join("\n", table)).containsOnly(table.getFirst().length());
        }
        long labBytes = smallBytes.get(0) + smallBytes.get(1);
        assertThat(cells(tables.get(0))).containsExactly(
                List.of("organisation", "streams", "incomplete", "rows", "bytes"),
                List.of("ai-lab", "2", "0", "2,000", TextTable.number(labBytes)),
                List.of("pharma-co", "1", "0", "3,000", TextTable.number(bigBytes)),
                List.of("total", "3", "0", "5,000", TextTable.number(labBytes + bigBytes)));
        assertThat(cells(tables.get(1)).getLast()).containsExactly("total", "3", "0", "5,000",
                TextTable.number(labBytes + bigBytes));
        assertThat(cells(tables.get(2))).contains(List.of(small, "small", "hospital-a", "2", "0", "2,000",
                TextTable.number(labBytes)));
    }

    @Test
    void aDatasetsReportListsEveryRecordInAlignedColumnsWithVerifiedProofs() throws Exception {
        TestCli.Result report = report("--dataset", small);

        assertThat(report.exitCode()).as(report.output()).isZero();
        List<String> lines = report.output().lines().toList();
        int heading = lines.indexOf("Records") + 1;
        String header = lines.get(heading);
        List<String> records = lines.subList(heading + 1, lines.size());
        assertThat(records).hasSize(7); // registered, issued, 2 x (opened, closed), denied; big's records are not here
        assertThat(records).allSatisfy(line -> assertThat(line).contains("included (").doesNotContain("FAILED"));
        for (String column : List.of("time", "action", "organisation", "purpose", "proof")) {
            int start = header.indexOf(column);
            assertThat(records).as(column).allSatisfy(line -> {
                assertThat(line.charAt(start - 1)).isEqualTo(' ');
                assertThat(line.charAt(start)).isNotEqualTo(' ');
            });
        }
        for (String column : List.of("rows", "bytes")) {
            int end = header.indexOf(column) + column.length();
            assertThat(records).as(column).allSatisfy(line -> {
                assertThat(line.charAt(end - 1)).isNotEqualTo(' ');
                assertThat(line.charAt(end)).isEqualTo(' ');
            });
        }
        assertThat(cells(tables(report.output()).getFirst()).getLast()).containsExactly("total", "2", "0", "2,000",
                TextTable.number(smallBytes.get(0) + smallBytes.get(1)));
    }

    @Test
    void sinceLeavesOutWhatCameBefore() throws Exception {
        JsonNode later = JSON.readTree(report("--format", "json", "--since", "2999-01-01").output());
        JsonNode earlier = JSON.readTree(report("--format", "json", "--since", "3650d").output());

        assertThat(later.path("total").path("streams").asLong()).isZero();
        assertThat(later.path("byOrganisation").isEmpty()).isTrue();
        assertThat(earlier.path("total").path("streams").asLong()).isEqualTo(3);
    }

    private TestCli.Result report(String... more) {
        List<String> args = new ArrayList<>(List.of("audit", "report", "--broker", broker.uri().toString(), "--token",
                auditor, "--public-key", key.toString()));
        args.addAll(List.of(more));
        return TestCli.run(args.toArray(String[]::new));
    }

    private static List<String> sums(JsonNode array, String key) {
        List<String> sums = new ArrayList<>();
        array.forEach(s -> sums.add(s.path(key).asText() + " " + s.path("streams").asLong() + " "
                + s.path("incomplete").asLong() + " " + s.path("rows").asLong() + " " + s.path("bytes").asLong()));
        return sums;
    }

    /** The three totals tables: the lines from each heading row to the blank line after it. */
    private static List<List<String>> tables(String output) {
        List<List<String>> tables = new ArrayList<>();
        List<String> lines = output.lines().toList();
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith("By ")) {
                int end = i + 1;
                while (end < lines.size() && !lines.get(end).isEmpty()) {
                    end++;
                }
                tables.add(lines.subList(i + 1, end));
            }
        }
        return tables;
    }

    private static List<List<String>> cells(List<String> table) {
        return table.stream().map(line -> List.of(line.strip().split(" {2,}"))).toList();
    }

    private String register(String owner, String name) throws Exception {
        HttpResponse<String> registered = TestHttp.post(broker, "/v1/datasets", owner, "{\"name\":\"" + name
                + "\",\"source\":{\"type\":\"parquet\",\"path\":\"" + name + ".parquet\"},\"policy\":"
                + TestPolicies.SCIENTIFIC_RESEARCH + "}");
        assertThat(registered.statusCode()).as(registered.body()).isEqualTo(201);
        return TestHttp.id(registered.body());
    }

    private String grant(String token, String dataset, String purpose) throws Exception {
        HttpResponse<String> granted = TestHttp.post(broker, "/v1/grants", token,
                "{\"dataset\":\"" + dataset + "\",\"purpose\":\"" + purpose + "\"}");
        assertThat(granted.statusCode()).as(granted.body()).isEqualTo(201);
        return TestHttp.id(granted.body());
    }

    /** Reads a whole stream and returns how many bytes arrived. */
    private long stream(String grant, String token) throws Exception {
        HttpResponse<byte[]> response = HTTP.send(HttpRequest.newBuilder(broker.uri().resolve("/v1/grants/" + grant
                + "/stream")).header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(response.statusCode()).isEqualTo(200);
        return response.body().length;
    }
}
