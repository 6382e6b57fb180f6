package io.sluice.broker.ui;

import static io.sluice.broker.ui.BrowserSupport.WAIT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.sluice.broker.Broker;
import io.sluice.broker.BrokerConfig;
import io.sluice.broker.TestHttp;
import io.sluice.broker.TestPolicies;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The compliance page against a REAL Keycloak ({@code SLUICE_TEST_KEYCLOAK_URL}, realm
 * {@code deploy/keycloak/dataspace-realm.json}) in headless Chromium: sign in through Keycloak's
 * own login form (authorization code with PKCE, client {@code sluice-audit-ui}), work with the
 * records, sign out at Keycloak, and a data owner's view with an inclusion proof per record.
 *
 * <p>The realm's client allows the loopback origins {@code http://127.0.0.1:8470..8479} (its web
 * origins, which Keycloak checks on the token request), so the broker listens on the first free one.
 */
class AuditSignInIT {
    private static final String PAGE = "/ui/audit/";
    private static final int FIRST_PORT = 8470;
    private static final int LAST_PORT = 8479;

    @TempDir
    static Path dir;

    private static URI keycloak;
    private static Broker broker;
    private static String cardiology;
    private static String radiology;

    private WebDriver driver;

    @BeforeAll
    static void start() throws Exception {
        String url = System.getenv("SLUICE_TEST_KEYCLOAK_URL");
        assumeTrue(url != null && !url.isBlank(), "SLUICE_TEST_KEYCLOAK_URL is not set: skipping the compliance page's "
                + "Keycloak sign-in test (./sluice test starts Keycloak when it can; CI always does)");
        BrowserSupport.assumeChromium();
        keycloak = URI.create(url);
        BrokerConfig config = BrokerConfig.embedded(dir.resolve("broker")).withOidc(new BrokerConfig.Oidc(
                URI.create(url + "/realms/dataspace"), "sluice", Duration.ofSeconds(10)));
        BrowserSupport.writeParquet(config.sourcesDir().resolve("hospital-a/cardiology.parquet"), 1000);
        BrowserSupport.writeParquet(config.sourcesDir().resolve("hospital-b/radiology.parquet"), 300);
        broker = startOnAllowedPort(config);

        cardiology = register(clientToken("hospital-a"), "cardiology");
        radiology = register(clientToken("hospital-b"), "radiology");
        String lab = clientToken("ai-lab");
        stream(lab, cardiology);
        stream(lab, radiology);
    }

    @AfterAll
    static void stop() {
        if (broker != null) {
            broker.close();
        }
    }

    @AfterEach
    void quitBrowser(TestInfo test) throws Exception {
        if (driver != null) {
            try {
                BrowserSupport.saveScreenshot(driver, "last-" + test.getTestMethod().orElseThrow().getName() + ".png");
            } finally {
                driver.quit();
            }
        }
    }

    @Test
    void complianceOfficerSignsInAtKeycloakWorksWithTheRecordsAndSignsOut() throws Exception {
        driver = BrowserSupport.startChromium(dir.resolve("officer"));
        WebDriverWait wait = new WebDriverWait(driver, WAIT);
        driver.get(broker.uri().resolve(PAGE).toString());

        // Signed out: the Keycloak button, no token form (this broker has no development issuer), no "Sign out".
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("oidc-button")));
        assertThat(driver.findElement(By.id("token-form")).isDisplayed()).isFalse();
        assertThat(driver.findElement(By.id("sign-out")).isDisplayed()).isFalse();
        assertThat(new JsonObject(TestHttp.getText(broker, "/ui/audit/config.json", null))).isEqualTo(new JsonObject()
                .put("signIn", "oidc").put("issuer", keycloak + "/realms/dataspace").put("clientId", "sluice-audit-ui"));

        signInAtKeycloak(wait, "ines", "ines-password");
        assertThat(driver.findElement(By.id("identity-text")).getText())
                .startsWith("Signed in as ines · ehds-authority · compliance-officer");
        // The code and state are gone from the address; nothing of the sign-in stays in web storage.
        assertThat(driver.getCurrentUrl()).isEqualTo(broker.uri().resolve(PAGE).toString());
        assertThat(script("return sessionStorage.length + localStorage.length")).isEqualTo(0L);

        // Newest first, names beside ids, and the whole log verified.
        wait.until(d -> indexes(d).size() == 8);
        List<Long> shown = indexes(driver).stream().map(Long::valueOf).toList();
        assertThat(shown).isSortedAccordingTo((a, b) -> Long.compare(b, a));
        assertThat(cellText("dataset.registered", cardiology)).isEqualTo("cardiology\nhospital-a · " + cardiology);
        assertThat(cellText("dataset.registered", radiology)).isEqualTo("radiology\nhospital-b · " + radiology);
        wait.withMessage(() -> driver.findElement(By.id("verify-status")).getText())
                .until(d -> d.findElement(By.id("verify-status")).getText().startsWith("Verified: 8 records"));

        // Search by a dataset's name.
        driver.findElement(By.id("f-q")).sendKeys("radiology");
        driver.findElement(By.id("apply-filters")).click();
        wait.until(d -> datasets(d).size() == 4 && datasets(d).stream().allMatch(radiology::equals));

        // The per-dataset view: who used it, for what, how much, under which policy version.
        driver.findElement(By.cssSelector("#records-body tr[data-action='stream.closed'] button.dataset-link")).click();
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("#dataset-uses-body tr[data-grant]")));
        assertThat(driver.findElement(By.id("dataset-title")).getText()).isEqualTo("Dataset radiology (hospital-b)");
        List<String> use = driver.findElements(By.cssSelector("#dataset-uses-body tr[data-grant] td")).stream()
                .map(e -> e.getText()).toList();
        assertThat(use.get(1)).isEqualTo("ai-lab");
        assertThat(use.get(2)).isEqualTo("scientific-research");
        assertThat(use.subList(3, 4)).containsExactly("1");
        assertThat(use.subList(5, 7)).containsExactly("1", "300");
        BrowserSupport.checkLayoutAt(driver, 1400, "signin-dataset-1400.png", List.of("#dataset-view .table-wrap", "#sign-out"));
        BrowserSupport.checkLayoutAt(driver, 800, "signin-dataset-800.png", List.of("#dataset-view .table-wrap", "#sign-out"));

        // The summary: streams and bytes per organisation, drawn on the page.
        driver.findElement(By.id("tab-summary")).click();
        wait.until(d -> !d.findElements(By.cssSelector("#summary-body tr[data-organisation='ai-lab']")).isEmpty());
        assertThat(driver.findElement(By.cssSelector("#summary-body tr[data-organisation='ai-lab']")).getText())
                .startsWith("ai-lab 2 1,300 ");
        assertThat(driver.findElement(By.cssSelector("#summary-legend li[data-organisation='ai-lab'] svg.swatch rect"))
                .getAttribute("fill")).isEqualTo(driver.findElement(By.cssSelector(
                        "#chart-streams svg rect[data-series='ai-lab']")).getAttribute("fill"));
        assertThat(driver.findElements(By.cssSelector("#chart-streams svg rect[data-series='ai-lab']"))).hasSize(1);
        assertThat(driver.findElements(By.cssSelector("#chart-bytes svg rect[data-series='ai-lab']"))).hasSize(1);
        BrowserSupport.checkLayoutAt(driver, 1400, "signin-summary-1400.png", List.of("#chart-streams", "#chart-bytes"));
        BrowserSupport.checkLayoutAt(driver, 800, "signin-summary-800.png", List.of("#chart-streams", "#chart-bytes"));

        // The verifiable export: JSON lines and the checkpoint signed at exactly their count.
        driver.findElement(By.id("tab-records")).click();
        driver.findElement(By.id("export-button")).click();
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("export-checkpoint")));
        String exportStatus = driver.findElement(By.id("export-status")).getText();
        assertThat(exportStatus).matches("[0-9,]+ records up to the checkpoint signed at that size; save the three files, then run .*");
        long size = Long.parseLong(exportStatus.substring(0, exportStatus.indexOf(' ')).replace(",", ""));
        String officer = clientToken("auditor");
        var signed = new JsonObject(TestHttp.getText(broker, "/v1/audit/checkpoints?after=" + (size - 1) + "&limit=1", officer))
                .getJsonArray("checkpoints").getJsonObject(0);
        assertThat(signed.getLong("size")).isEqualTo(size);
        var last = new JsonObject(TestHttp.getText(broker, "/v1/audit?after=" + (size - 2) + "&limit=1", officer))
                .getJsonArray("records").getJsonObject(0);
        assertThat(last.getString("action")).as("the export's own record ends it").isEqualTo("audit.exported");
        assertThat(driver.findElement(By.id("export-jsonl")).getAttribute("download")).isEqualTo("sluice-audit.jsonl");
        assertThat(driver.findElement(By.id("export-checkpoint")).getAttribute("download"))
                .isEqualTo("sluice-audit.jsonl.checkpoint");
        BrowserSupport.checkLayoutAt(driver, 1400, "signin-records-1400.png", List.of("#records .table-wrap", "#export-button"));
        BrowserSupport.checkLayoutAt(driver, 800, "signin-records-800.png", List.of("#filters", "#export-button", "#sign-out"));

        // Sign out: Keycloak's session ends, and nothing of this user's work is left on the page.
        driver.findElement(By.id("sign-out")).click();
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("oidc-button")));
        assertThat(driver.getCurrentUrl()).startsWith(broker.uri().resolve(PAGE).toString());
        assertThat(driver.findElement(By.id("sign-out")).isDisplayed()).isFalse();
        assertThat(script("return document.querySelectorAll('#records-body tr, #dataset-uses-body tr, #summary-body tr').length"))
                .isEqualTo(0L);
        assertThat(script("return document.getElementById('f-q').value")).isEqualTo("");
        driver.findElement(By.id("oidc-button")).click();
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("username")));
        assertThat(driver.getCurrentUrl()).startsWith(keycloak.toString());
    }

    @Test
    void dataOwnerSeesOnlyTheirRecordsEachVerifiedByItsInclusionProof() throws Exception {
        driver = BrowserSupport.startChromium(dir.resolve("owner"));
        WebDriverWait wait = new WebDriverWait(driver, WAIT);
        driver.get(broker.uri().resolve(PAGE).toString());
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("oidc-button")));
        signInAtKeycloak(wait, "alice", "alice-password");
        assertThat(driver.findElement(By.id("identity-text")).getText()).startsWith("Signed in as alice · hospital-a · data-owner");

        wait.until(d -> indexes(d).size() == 4 && proofs(d).stream().noneMatch("pending"::equals));
        assertThat(datasets(driver)).containsOnly(cardiology);
        assertThat(proofs(driver)).containsOnly("verified");
        assertThat(driver.findElement(By.id("verify-status")).getText())
                .startsWith("Verified: each of the 4 records shown is included in the checkpoint of ");
        assertThat(driver.findElement(By.id("export")).isDisplayed()).isFalse();

        // The stream dialog shows rows and bytes from the log (the stream route answers holders and officers only).
        driver.findElement(By.cssSelector("#records-body tr[data-action='stream.closed'] button.stream-link")).click();
        wait.until(d -> !d.findElements(By.cssSelector("#details-facts dd[data-field=rows]")).isEmpty());
        assertThat(driver.findElement(By.cssSelector("#details-facts dd[data-field=rows]")).getText()).isEqualTo("1,000");
        assertThat(driver.findElement(By.cssSelector("#details-facts dd[data-field=bytes]")).getText()).matches("[0-9,]+ \\(.+\\)");
        driver.findElement(By.id("details-close")).click();

        BrowserSupport.checkLayoutAt(driver, 1400, "signin-owner-1400.png", List.of("#records .table-wrap", "#verify-status"));
        BrowserSupport.checkLayoutAt(driver, 800, "signin-owner-800.png", List.of("#records .table-wrap", "#verify-status", "#sign-out"));
    }

    @Test
    void aCraftedRedirectIsRefusedForItsStateBeforeAnyOfItsTextIsShown() throws Exception {
        driver = BrowserSupport.startChromium(dir.resolve("crafted"));
        WebDriverWait wait = new WebDriverWait(driver, WAIT);
        driver.get(broker.uri().resolve(PAGE) + "?state=forged&error=access_denied&error_description="
                + URLEncoder.encode("Your account is locked: call +1-555-0100 now", StandardCharsets.UTF_8));

        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("sign-in-error")));
        assertThat(driver.findElement(By.id("sign-in-error")).getText())
                .isEqualTo("Sign-in failed: this sign-in was not started on this page (state mismatch): sign in again");
        assertThat((String) script("return document.body.textContent")).doesNotContain("555-0100", "locked");
        assertThat(driver.getCurrentUrl()).isEqualTo(broker.uri().resolve(PAGE).toString());
        assertThat(driver.findElement(By.id("oidc-button")).isDisplayed()).isTrue();
    }

    @Test
    void aRefusedTokenIsRenewedOnceAndTheRequestSentAgainThenARefusalAfterThatEndsTheSession() throws Exception {
        driver = BrowserSupport.startChromium(dir.resolve("renewal"));
        WebDriverWait wait = new WebDriverWait(driver, WAIT);
        driver.get(broker.uri().resolve(PAGE).toString());
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("oidc-button")));
        signInAtKeycloak(wait, "ines", "ines-password");
        wait.until(d -> d.findElement(By.id("records-status")).getText().startsWith("Showing"));
        // The broker's next answers to GET /v1/audit are 401s (a token it no longer takes), as many as refuseAudit says.
        script("""
                const original = window.fetch;
                Object.assign(window, { refuseAudit: 0, refusals: 0, renewals: 0 });
                window.fetch = async (input, init) => {
                  if (init && typeof init.body === 'string' && init.body.includes('grant_type=refresh_token')) window.renewals++;
                  if (String(input).includes('/v1/audit?') && window.refuseAudit > 0) {
                    window.refuseAudit--;
                    window.refusals++;
                    return new Response(JSON.stringify({ code: 1001, error: 'unauthenticated', message: 'token expired',
                      requestId: 'rq-test' }), { status: 401, headers: { 'Content-Type': 'application/json' } });
                  }
                  return original(input, init);
                };
                """);

        // One refusal: the page renews the token at Keycloak, sends the request again, and the records come.
        script("window.refuseAudit = 1; document.getElementById('records-body').replaceChildren()");
        driver.findElement(By.id("apply-filters")).click();
        wait.until(d -> !indexes(d).isEmpty());
        assertThat(script("return [window.refusals, window.renewals]")).isEqualTo(List.of(1L, 1L));
        assertThat(driver.findElement(By.id("identity")).isDisplayed()).isTrue();
        assertThat(driver.findElement(By.id("records-error")).isDisplayed()).isFalse();

        // Refused again after the renewal: signed out, with the broker's reason, after one renewal only.
        script("window.refuseAudit = 2");
        driver.findElement(By.id("apply-filters")).click();
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("oidc-button")));
        assertThat(driver.findElement(By.id("sign-in-error")).getText())
                .isEqualTo("The broker refused the token: token expired (unauthenticated, request rq-test). Sign in again.");
        assertThat(script("return [window.refusals, window.renewals]")).isEqualTo(List.of(3L, 2L));
        assertThat(driver.findElement(By.id("identity")).isDisplayed()).isFalse();
        assertThat(script("return document.querySelectorAll('#records-body tr').length")).isEqualTo(0L);
    }

    private void signInAtKeycloak(WebDriverWait wait, String user, String password) {
        driver.findElement(By.id("oidc-button")).click();
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("username"))).sendKeys(user);
        driver.findElement(By.id("password")).sendKeys(password);
        driver.findElement(By.id("kc-login")).click();
        wait.withMessage(() -> "after Keycloak: " + driver.getCurrentUrl() + " "
                        + driver.findElement(By.tagName("body")).getText())
                .until(d -> d.findElement(By.id("identity")).isDisplayed());
    }

    private Object script(String javascript) {
        return ((JavascriptExecutor) driver).executeScript(javascript);
    }

    private String cellText(String action, String dataset) {
        return driver.findElement(By.cssSelector("#records-body tr[data-action='" + action + "'][data-dataset='" + dataset
                + "'] td.dataset")).getText();
    }

    private static List<String> indexes(WebDriver driver) {
        return column(driver, "tr[data-index]", "r => r.dataset.index");
    }

    private static List<String> datasets(WebDriver driver) {
        return column(driver, "tr[data-index]", "r => r.dataset.dataset");
    }

    private static List<String> proofs(WebDriver driver) {
        return column(driver, "tr[data-index] td.proof", "c => c.dataset.proof");
    }

    @SuppressWarnings("unchecked")
    private static List<String> column(WebDriver driver, String selector, String mapper) {
        return new ArrayList<>((List<String>) ((JavascriptExecutor) driver).executeScript(
                "return Array.from(document.querySelectorAll('#records-body " + selector + "'), " + mapper + ");"));
    }

    private static Broker startOnAllowedPort(BrokerConfig config) {
        RuntimeException last = null;
        for (int port = FIRST_PORT; port <= LAST_PORT; port++) {
            try {
                return Broker.start(config.withPort(port));
            } catch (RuntimeException e) {
                last = e; // taken: try the next origin the client allows
            }
        }
        throw new IllegalStateException("no free port in " + FIRST_PORT + ".." + LAST_PORT
                + " (the sluice-audit-ui client's web origins)", last);
    }

    private static String clientToken(String client) throws Exception {
        String form = "grant_type=client_credentials&client_id=" + client + "&client_secret="
                + URLEncoder.encode(client + "-secret", StandardCharsets.UTF_8);
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        keycloak.resolve("/realms/dataspace/protocol/openid-connect/token"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return new JsonObject(response.body()).getString("access_token");
    }

    private static String register(String owner, String name) throws Exception {
        var registered = TestHttp.post(broker, "/v1/datasets", owner, "{\"name\":\"" + name + "\",\"source\":"
                + "{\"type\":\"parquet\",\"path\":\"" + name + ".parquet\"},\"policy\":" + TestPolicies.SCIENTIFIC_RESEARCH + "}");
        assertThat(registered.statusCode()).as(registered.body()).isEqualTo(201);
        return new JsonObject(registered.body()).getString("id");
    }

    /** A grant and one stream read to its end, so that the log holds grant.issued, stream.opened and stream.closed. */
    private static void stream(String lab, String dataset) throws Exception {
        var granted = TestHttp.post(broker, "/v1/grants", lab, "{\"dataset\":\"" + dataset + "\",\"purpose\":\"scientific-research\"}");
        assertThat(granted.statusCode()).as(granted.body()).isEqualTo(201);
        String grant = new JsonObject(granted.body()).getString("id");
        HttpResponse<byte[]> body = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        broker.uri().resolve("/v1/grants/" + grant + "/stream"))
                .header("Authorization", "Bearer " + lab).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(body.statusCode()).isEqualTo(200);
        String stream = body.headers().firstValue("Sluice-Stream-Id").orElseThrow();
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!new JsonObject(TestHttp.getText(broker, "/v1/streams/" + stream, lab)).getString("status").equals("completed")) {
            assertThat(System.nanoTime()).as("stream %s did not complete", stream).isLessThan(deadline);
            Thread.sleep(50);
        }
    }
}
