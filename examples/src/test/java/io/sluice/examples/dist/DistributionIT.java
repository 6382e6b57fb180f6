package io.sluice.examples.dist;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.broker.cli.SluiceCommand;
import io.sluice.examples.BrokerClient;
import io.sluice.examples.HospitalDataset;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.types.pojo.Field;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The distribution ({@code ./sluice dist}) on a machine without a JDK or Maven: unpacked, its
 * {@code bin/sluice} serves, registers and streams on the bundled runtime alone, with neither
 * {@code java} nor {@code mvn} on PATH and no {@code JAVA_HOME}.
 */
class DistributionIT {
    private static final int ROWS = 5_000;
    private static final String POLICY = """
            {"@type": "Set", "permission": [{"action": "use",
              "constraint": [{"leftOperand": "purpose", "operator": "isAnyOf", "rightOperand": ["medical-research"]},
                             {"leftOperand": "organisation", "operator": "isAnyOf", "rightOperand": ["ai-lab"]}],
              "duty": [{"action": "sluice:drop", "target": ["name"]}]}]}""";

    @TempDir
    Path dir;

    @Test
    void servesRegistersAndStreamsWithNeitherJavaNorMavenOnThePath() throws Exception {
        Path home = Distribution.home();
        Path tools = LauncherProcess.toolsWithoutJava(dir.resolve("tools"));
        Path dataDir = dir.resolve("data");
        // Snappy-compressed Parquet: the stream also loads snappy's native library on the bundled runtime.
        HospitalDataset.write(dataDir.resolve("sources/hospital-a/patients.parquet"), ROWS, 7, n -> {});

        // Options from a YAML file: its parser is in lib/ too (DeployComposeIT reads compose.yaml with it).
        Path config = dir.resolve("sluice.yaml");
        Files.writeString(config, "port: 0\ndata-dir: " + dataDir + "\n");
        try (LauncherProcess broker = LauncherProcess.start(home, List.of("serve", "--config", config.toString()),
                Map.of(), tools, dir)) {
            URI uri = broker.awaitListening(Duration.ofMinutes(2));
            BrokerClient client = new BrokerClient(uri);
            String owner = client.devToken("dr-weber", "hospital-a", List.of("data-owner"));
            String lab = client.devToken("trainer-7", "ai-lab", List.of("data-consumer"));
            ObjectNode registration = BrokerClient.json().createObjectNode().put("name", "patients");
            registration.putObject("source").put("type", "parquet").put("path", "patients.parquet");
            registration.set("policy", BrokerClient.json().readTree(POLICY));
            JsonNode dataset = client.post("/v1/datasets", Optional.of(owner), registration).orThrow();
            assertThat(dataset.path("rows").asLong()).isEqualTo(ROWS);
            assertThat(broker.output()).contains("data: " + dataDir);
            String grant = client.post("/v1/grants", Optional.of(lab), BrokerClient.json().createObjectNode()
                    .put("dataset", dataset.path("id").asText()).put("purpose", "medical-research")).orThrow()
                    .path("id").asText();

            HttpResponse<InputStream> stream = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(uri.resolve("/v1/grants/" + grant + "/stream"))
                            .header("Authorization", "Bearer " + lab).build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            assertThat(stream.statusCode()).isEqualTo(200);
            long rows = 0;
            List<String> columns;
            try (BufferAllocator allocator = new RootAllocator();
                    ArrowStreamReader reader = new ArrowStreamReader(stream.body(), allocator)) {
                columns = reader.getVectorSchemaRoot().getSchema().getFields().stream().map(Field::getName).toList();
                while (reader.loadNextBatch()) {
                    rows += reader.getVectorSchemaRoot().getRowCount();
                }
            }
            assertThat(rows).isEqualTo(ROWS);
            assertThat(columns).contains("patient_id", "age").doesNotContain("name");
            String streamId = stream.headers().firstValue("Sluice-Stream-Id").orElseThrow();
            JsonNode served = client.get("/v1/streams/" + streamId, Optional.of(lab)).orThrow();
            assertThat(served.path("status").asText()).isEqualTo("completed");
            assertThat(served.path("rows").asLong()).isEqualTo(ROWS);

            assertThat(broker.terminate(Duration.ofMinutes(1))).as("exit status on SIGTERM; output:%n%s", broker.output())
                    .isZero();
            assertThat(broker.output()).contains("shutting down", "stopped");
        }
    }

    @Test
    void helpListsTheCommandsAndCheckoutOnlyCommandsSaySo() throws Exception {
        Path home = Distribution.home();
        Path tools = LauncherProcess.toolsWithoutJava(dir.resolve("tools"));
        // Every command: those the launcher dispatches itself and those of the CLI it hands the rest to.
        String launcher = Files.readString(home.resolve("bin/sluice"));
        List<String> commands = new ArrayList<>();
        Matcher label = Pattern.compile("(?m)^  ([a-z]+)(\\|[^)]*)?\\)")
                .matcher(launcher.substring(launcher.indexOf("case \"${1:-help}\" in")));
        while (label.find()) {
            commands.add(label.group(1));
        }
        commands.addAll(SluiceCommand.commandLine().getSubcommands().keySet());
        commands.removeAll(List.of("test", "bench", "dist"));
        assertThat(commands).contains("serve", "load", "demo", "sample", "audit", "ca", "help");
        try (LauncherProcess help = LauncherProcess.start(home, List.of("--help"), Map.of(), tools, dir)) {
            assertThat(help.awaitExit(Duration.ofSeconds(30))).isZero();
            assertThat(help.output()).contains("usage: sluice <command>");
            for (String command : commands) {
                assertThat(help.output()).as("--help names %s", command).containsPattern("(?m)^  " + command + "\\b");
            }
        }
        try (LauncherProcess serveHelp = LauncherProcess.start(home, List.of("serve", "--help"), Map.of(), tools, dir)) {
            assertThat(serveHelp.awaitExit(Duration.ofMinutes(1))).as(serveHelp.output()).isZero();
            assertThat(serveHelp.output()).contains("--data-dir", "--oidc-issuer");
        }
        try (LauncherProcess test = LauncherProcess.start(home, List.of("test"), Map.of(), tools, dir)) {
            assertThat(test.awaitExit(Duration.ofSeconds(30))).isEqualTo(2);
            assertThat(test.output()).isEqualTo("sluice: 'test' needs a source checkout (run ./sluice test there);"
                    + " this is a distribution\n");
        }
    }

    @Test
    void theLauncherRunsTheBundledRuntimeEvenWhenAnotherJavaIsAround() throws Exception {
        Path home = Distribution.home();
        Path tools = LauncherProcess.toolsWithoutJava(dir.resolve("tools"));
        // A java on PATH and a JAVA_HOME that fail loudly: the launcher must use neither.
        Path impostor = dir.resolve("impostor/bin");
        Files.createDirectories(impostor);
        Files.writeString(impostor.resolve("java"), "#!/bin/sh\necho 'the wrong java ran'\nexit 97\n");
        impostor.resolve("java").toFile().setExecutable(true);
        try (LauncherProcess version = LauncherProcess.start(home, List.of("--version"),
                Map.of("PATH", tools + ":" + impostor, "JAVA_HOME", impostor.getParent().toString()), tools, dir)) {
            assertThat(version.awaitExit(Duration.ofMinutes(1))).as(version.output()).isZero();
            assertThat(version.output()).startsWith("sluice ").doesNotContain("wrong java");
        }
        String launcher = Files.readString(home.resolve("bin/sluice"));
        assertThat(launcher).doesNotContain("JAVA_HOME=").contains("JVM_FLAGS=\"" + pomJvmFlags() + "\"");
    }

    @Test
    void theRuntimeHoldsWhatTheJarsLoadAndNoCompiler() throws Exception {
        Path home = Distribution.home();
        Process list = new ProcessBuilder(home.resolve("runtime/bin/java").toString(), "--list-modules")
                .redirectErrorStream(true).start();
        String output = new String(list.getInputStream().readAllBytes());
        assertThat(list.waitFor()).isZero();
        List<String> modules = output.lines().map(line -> line.replaceFirst("@.*", "")).toList();
        // Loaded by name or as service providers, which jdeps does not see.
        assertThat(modules).contains("java.base", "java.sql", "java.naming", "java.net.http", "jdk.unsupported",
                "jdk.crypto.ec", "jdk.management", "jdk.zipfs", "jdk.net", "jdk.charsets", "jdk.security.auth");
        // A trimmed runtime, not a copy of the JDK.
        assertThat(modules).doesNotContain("jdk.compiler", "jdk.jlink", "jdk.jshell", "jdk.jdeps");
        assertThat(home.resolve("runtime/include")).doesNotExist();
    }

    @Test
    void libHoldsEachJarOnceAndNoTestJars() throws Exception {
        Path home = Distribution.home();
        List<String> jars;
        try (Stream<Path> files = Files.list(home.resolve("lib"))) {
            jars = files.map(file -> file.getFileName().toString()).sorted().toList();
        }
        assertThat(jars).allMatch(name -> name.endsWith(".jar"));
        assertThat(jars).anyMatch(name -> name.startsWith("sluice-examples-"))
                .anyMatch(name -> name.startsWith("sluice-broker-"))
                .anyMatch(name -> name.startsWith("sluice-gpu-loader-"));
        assertThat(jars).noneMatch(name -> name.endsWith("-tests.jar") || name.startsWith("junit-")
                || name.startsWith("assertj-") || name.startsWith("opentest4j-"));
        Pattern versioned = Pattern.compile("(.+?)-\\d[^-]*(-[A-Za-z0-9.]+)*\\.jar");
        Map<String, List<String>> byArtifact = jars.stream().collect(Collectors.groupingBy(name -> {
            Matcher matcher = versioned.matcher(name);
            return matcher.matches() ? matcher.group(1) : name;
        }));
        assertThat(byArtifact).allSatisfy((artifact, versions) -> assertThat(versions).as(artifact).hasSize(1));
        assertThat(home.resolve("deploy/compose.yaml")).isRegularFile();
        assertThat(home.resolve("deploy/systemd/sluice.service")).isRegularFile();
        assertThat(home.resolve("README.md")).isRegularFile();
    }

    private static String pomJvmFlags() throws IOException {
        Matcher matcher = Pattern.compile("<sluice.jvm.flags>(.*)</sluice.jvm.flags>")
                .matcher(Files.readString(Distribution.repositoryRoot().resolve("pom.xml")));
        assertThat(matcher.find()).isTrue();
        return matcher.group(1);
    }
}
