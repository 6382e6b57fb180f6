package io.sluice.examples.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.sluice.broker.cli.SluiceCommand;
import io.sluice.examples.BrokerClient;
import io.sluice.loader.ClientCredentialsTokens;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code deploy/compose.yaml} without Docker: the file is read and checked against the scripts and
 * the broker's options, then its three processes are started directly (PostgreSQL and Keycloak as the
 * tests run them, the broker from the distribution with the {@code sluice} service's environment, its
 * host names pointed at those processes) and the broker must answer {@code /health} and take a real
 * Keycloak client-credentials token.
 */
class DeployComposeIT {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final String SECRETS = "/run/secrets/";

    @TempDir
    Path dir;

    @Test
    void composeFileAgreesWithTheScriptsAndTheOptionsOfServe() throws IOException {
        JsonNode compose = compose();
        assertThat(compose.path("services").properties()).extracting(Map.Entry::getKey)
                .containsExactlyInAnyOrder("postgres", "keycloak", "sluice");

        JsonNode keycloak = service("keycloak");
        assertThat(keycloak.path("image").asText()).isEqualTo("quay.io/keycloak/keycloak:" + testKeycloakVersion());
        assertThat(strings(keycloak.path("command"))).contains("start-dev", "--import-realm");
        List<String> realmMounts = strings(keycloak.path("volumes")).stream()
                .filter(volume -> volume.contains(":/opt/keycloak/data/import/")).toList();
        assertThat(realmMounts).hasSize(1);
        Path realm = deployDir().resolve(realmMounts.getFirst().split(":")[0]).normalize();
        assertThat(realm).isRegularFile();
        assertThat(YAML.readTree(realm.toFile()).path("realm").asText()).isEqualTo("dataspace");

        Map<String, String> environment = environment(service("sluice"));
        CommandLine.Model.CommandSpec serve = SluiceCommand.commandLine().getSubcommands().get("serve").getCommandSpec();
        assertThat(environment.keySet()).allSatisfy(variable -> assertThat(serve.findOption(option(variable)))
                .as("%s names an option of serve (%s)", variable, option(variable)).isNotNull());
        assertThat(environment).containsEntry("SLUICE_OIDC_ISSUER", "http://keycloak:8080/realms/dataspace")
                .containsEntry("SLUICE_HOST", "0.0.0.0");
        assertThat(environment.get("SLUICE_DB")).startsWith("jdbc:postgresql://postgres:5432/");

        // The broker logs in as the user PostgreSQL creates, to the database it creates, with the same secret.
        Map<String, String> postgres = environment(service("postgres"));
        assertThat(environment.get("SLUICE_DB")).endsWith("/" + postgres.get("POSTGRES_DB"));
        assertThat(environment.get("SLUICE_DB_USER")).isEqualTo(postgres.get("POSTGRES_USER"));
        assertThat(environment.get("SLUICE_DB_PASSWORD_FILE")).startsWith(SECRETS)
                .isEqualTo(postgres.get("POSTGRES_PASSWORD_FILE"));
        String secret = environment.get("SLUICE_DB_PASSWORD_FILE").substring(SECRETS.length());
        assertThat(strings(service("sluice").path("secrets"))).contains(secret);
        assertThat(strings(service("postgres").path("secrets"))).contains(secret);
        assertThat(compose.path("secrets").path(secret).path("file").asText()).isNotEmpty();

        // The broker starts once both are healthy, and each says when it is.
        for (String dependency : List.of("postgres", "keycloak")) {
            assertThat(service("sluice").path("depends_on").path(dependency).path("condition").asText())
                    .as("sluice depends on %s", dependency).isEqualTo("service_healthy");
            assertThat(strings(service(dependency).path("healthcheck").path("test"))).as(dependency).isNotEmpty();
        }
        // Compose waits longer than the broker's own grace before it kills it.
        Duration grace = Duration.parse(serve.findOption("--shutdown-grace").defaultValue());
        String stopGrace = service("sluice").path("stop_grace_period").asText();
        assertThat(stopGrace).matches("\\d+s");
        assertThat(Duration.ofSeconds(Long.parseLong(stopGrace.replace("s", "")))).isGreaterThan(grace);
    }

    @Test
    void theImageIsBuiltFromTheDistributionsLayout() throws Exception {
        Path home = Distribution.home();
        JsonNode build = service("sluice").path("build");
        // In a distribution, compose.yaml is deploy/compose.yaml and the build context is the root.
        Path context = home.resolve("deploy").resolve(build.path("context").asText()).normalize();
        assertThat(context).isEqualTo(home);
        Path dockerfile = context.resolve(build.path("dockerfile").asText());
        assertThat(dockerfile).isRegularFile();
        List<String> copied = new ArrayList<>();
        for (String line : Files.readAllLines(dockerfile)) {
            if (line.startsWith("COPY ")) {
                String[] words = line.split("\\s+");
                copied.add(words[1]);
                assertThat(context.resolve(words[1])).as(line).exists();
            }
        }
        assertThat(copied).containsExactlyInAnyOrder("bin/", "runtime/", "lib/");
    }

    @Test
    void theBrokerFromTheDistributionTakesKeycloakTokensWithTheComposeEnvironment() throws Exception {
        String keycloak = System.getenv("SLUICE_TEST_KEYCLOAK_URL");
        assumeTrue(keycloak != null && !keycloak.isBlank(),
                "SLUICE_TEST_KEYCLOAK_URL is not set: skipping the compose run (./sluice test and CI start Keycloak)");
        Path home = Distribution.home();
        try (TestPostgres postgres = TestPostgres.start(dir.resolve("postgres"))) {
            String schema = "t_" + UUID.randomUUID().toString().replace("-", "");
            try (Connection connection = DriverManager.getConnection(postgres.url());
                    Statement statement = connection.createStatement()) {
                statement.execute("CREATE SCHEMA " + schema);
            }
            // The broker refuses a user in the URL beside SLUICE_DB_USER: the test cluster's user goes there.
            String database = postgres.urlWithoutUser() + (postgres.urlWithoutUser().contains("?") ? "&" : "?")
                    + "currentSchema=" + schema;
            Path dataDir = dir.resolve("data");
            Path secrets = Files.createDirectories(dir.resolve("secrets"));
            Map<String, String> environment = pointedAtTheTestProcesses(environment(service("sluice")),
                    database, postgres.user(), URI.create(keycloak), dataDir, secrets);
            List<String> command = strings(service("sluice").path("command"));

            Path tools = LauncherProcess.toolsWithoutJava(dir.resolve("tools"));
            try (LauncherProcess broker = LauncherProcess.start(home, command, environment, tools, dir)) {
                URI uri = broker.awaitListening(Duration.ofMinutes(2));
                assertThat(uri.getHost()).isEqualTo("127.0.0.1");
                BrokerClient client = new BrokerClient(uri);
                assertThat(client.get("/health", Optional.empty()).status()).isEqualTo(200);
                // SLUICE_OIDC_ISSUER turned the development issuer off ...
                assertThat(HttpClient.newHttpClient().send(HttpRequest.newBuilder(uri.resolve("/v1/dev/token"))
                        .POST(HttpRequest.BodyPublishers.ofString("{\"subject\": \"x\", \"organisation\": \"hospital-a\"}"))
                        .build(), HttpResponse.BodyHandlers.discarding()).statusCode()).isEqualTo(404);
                assertThat(client.get("/v1/catalog", Optional.of("not-a-token")).status()).isEqualTo(401);
                // ... and the realm's token is taken.
                URI realm = URI.create(environment.get("SLUICE_OIDC_ISSUER"));
                String token = ClientCredentialsTokens.forKeycloakRealm(realm, "hospital-a", "hospital-a-secret").get();
                assertThat(client.get("/v1/catalog", Optional.of(token)).orThrow().isObject()).isTrue();
                // SLUICE_DB and SLUICE_DATA_DIR were taken too.
                assertThat(tables(postgres.url(), schema)).isPositive();
                assertThat(broker.output()).contains("data: " + dataDir);

                assertThat(broker.terminate(Duration.ofMinutes(1))).as("exit status on SIGTERM; output:%n%s",
                        broker.output()).isZero();
            }
        }
    }

    /**
     * The {@code sluice} service's environment with every compose address replaced by the test's:
     * the services' host names by the real processes' loopback URLs, 0.0.0.0 by 127.0.0.1, the port by
     * 0 (any free one), the database user by the test cluster's, the data volume by a folder and each
     * secret by a file holding it.
     */
    private static Map<String, String> pointedAtTheTestProcesses(Map<String, String> compose, String database,
            Optional<String> databaseUser, URI keycloak, Path dataDir, Path secrets) throws IOException {
        Map<String, String> environment = new LinkedHashMap<>();
        for (Map.Entry<String, String> variable : compose.entrySet()) {
            String value = variable.getValue();
            if (variable.getKey().equals("SLUICE_DB_USER")) {
                value = databaseUser.orElse(value);
            } else if (variable.getKey().equals("SLUICE_PORT")) {
                value = "0";
            } else if (variable.getKey().equals("SLUICE_DATA_DIR")) {
                value = dataDir.toString();
            } else if (value.equals("0.0.0.0")) {
                value = "127.0.0.1";
            } else if (value.startsWith("jdbc:postgresql://postgres:5432/")) {
                value = database;
            } else if (value.startsWith("http://keycloak:8080/")) {
                value = keycloak.toString().replaceAll("/+$", "") + value.substring("http://keycloak:8080".length());
            } else if (value.startsWith(SECRETS)) {
                Path file = secrets.resolve(value.substring(SECRETS.length()));
                // The test cluster trusts loopback connections: any password will do.
                Files.writeString(file, "compose-test-password");
                Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
                value = file.toString();
            }
            assertThat(value).as(variable.getKey()).doesNotContain("//postgres:", "//keycloak:", SECRETS);
            environment.put(variable.getKey(), value);
        }
        return environment;
    }

    /** {@code SLUICE_DB_PASSWORD_FILE} -> {@code --db-password-file}. */
    private static String option(String variable) {
        assertThat(variable).startsWith("SLUICE_");
        return "--" + variable.substring("SLUICE_".length()).toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }

    private static int tables(String url, String schema) throws SQLException {
        try (Connection connection = DriverManager.getConnection(url);
                Statement statement = connection.createStatement();
                ResultSet count = statement.executeQuery(
                        "SELECT count(*) FROM information_schema.tables WHERE table_schema = '" + schema + "'")) {
            count.next();
            return count.getInt(1);
        }
    }

    private static Path deployDir() {
        return Distribution.repositoryRoot().resolve("deploy");
    }

    private static JsonNode compose() throws IOException {
        return YAML.readTree(deployDir().resolve("compose.yaml").toFile());
    }

    private static JsonNode service(String name) throws IOException {
        JsonNode service = compose().path("services").path(name);
        assertThat(service.isObject()).as("service %s in compose.yaml", name).isTrue();
        return service;
    }

    /** A service's environment, in either of compose's two forms (a map, or a list of NAME=value). */
    private static Map<String, String> environment(JsonNode service) {
        Map<String, String> environment = new LinkedHashMap<>();
        JsonNode node = service.path("environment");
        if (node.isArray()) {
            node.forEach(entry -> {
                String[] pair = entry.asText().split("=", 2);
                environment.put(pair[0], pair.length > 1 ? pair[1] : "");
            });
        } else {
            node.properties().forEach(entry -> environment.put(entry.getKey(), entry.getValue().asText()));
        }
        return environment;
    }

    private static List<String> strings(JsonNode node) {
        List<String> strings = new ArrayList<>();
        if (node.isArray()) {
            node.forEach(element -> strings.add(element.asText()));
        } else if (!node.isMissingNode()) {
            strings.add(node.asText());
        }
        return strings;
    }

    /** The Keycloak version the tests run ({@code VERSION=} in scripts/keycloak-test-server.sh). */
    private static String testKeycloakVersion() throws IOException {
        Matcher version = Pattern.compile("(?m)^VERSION=\"([^\"]+)\"")
                .matcher(Files.readString(Distribution.repositoryRoot().resolve("scripts/keycloak-test-server.sh")));
        assertThat(version.find()).as("VERSION= in keycloak-test-server.sh").isTrue();
        return version.group(1);
    }
}
