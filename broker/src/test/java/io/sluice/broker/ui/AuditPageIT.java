package io.sluice.broker.ui;

import static io.sluice.broker.ui.BrowserSupport.WAIT;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.Broker;
import io.sluice.broker.BrokerConfig;
import io.sluice.broker.TestHttp;
import io.sluice.broker.TestPolicies;
import io.sluice.broker.audit.tlog.Checkpoint;
import io.sluice.broker.audit.tlog.NoteSigner;
import io.sluice.broker.audit.tlog.NoteVerifier;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The compliance page at {@code /ui/audit/} in Debian's headless Chromium against a real broker:
 * sign in with a pasted token, filter, page, open a stream, verify the log, and see tampering in
 * the database reported. Skipped where {@code /usr/bin/chromium} or {@code /usr/bin/chromedriver}
 * is missing ({@code apt-get install -y chromium chromium-driver}).
 */
class AuditPageIT {
    private static final String PAGE = "/ui/audit/";
    private static final String POLICY = TestPolicies.SCIENTIFIC_RESEARCH;
    /** A requester whose name is markup: the page must show it as text, never run or render it. */
    private static final String HOSTILE_SUBJECT = "<img src=x onerror=\"document.title='owned'\">mallory";
    /**
     * The 8-leaf tree of RFC 6962 implementations (github.com/transparency-dev/merkle,
     * proof/verify_test.go): its leaves, and the root of the first n leaves at n - 1.
     */
    private static final List<String> RFC6962_LEAVES = List.of("", "00", "10", "2021", "3031", "40414243",
            "5051525354555657", "606162636465666768696a6b6c6d6e6f");
    private static final List<String> RFC6962_ROOTS = List.of(
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
            "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
            "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path dir;

    private WebDriver driver;

    @AfterEach
    void quitBrowser(TestInfo test) throws IOException {
        if (driver != null) {
            try {
                BrowserSupport.saveScreenshot(driver, "last-" + test.getTestMethod().orElseThrow().getName() + ".png");
            } finally {
                driver.quit();
            }
        }
    }

    @Test
    void complianceOfficerFiltersPagesOpensAStreamAndSeesTheLogVerifiedThenTampered() throws Exception {
        BrowserSupport.assumeChromium();
        BrokerConfig config = BrokerConfig.embedded(dir.resolve("broker"));
        BrowserSupport.writeParquet(config.sourcesDir().resolve("hospital-a/small.parquet"), 1000);
        try (Broker broker = Broker.start(config)) {
            String streamId = createRecords(broker);
            String officer = TestHttp.devToken(broker, "ines", "ehds-authority", "compliance-officer");
            JsonObject stream = new JsonObject(TestHttp.getText(broker, "/v1/streams/" + streamId, officer));

            var redirect = TestHttp.get(broker, "/ui/audit", null);
            assertThat(redirect.statusCode()).isEqualTo(302);
            assertThat(redirect.headers().firstValue("Location")).contains(PAGE);
            var page = TestHttp.get(broker, PAGE, null);
            assertThat(page.statusCode()).as("GET %s must serve the page, answered %s with Location '%s' (a redirect to "
                    + "itself: in Vert.x the exact route \"/ui/audit\" also matches \"/ui/audit/\")", PAGE,
                    page.statusCode(), page.headers().firstValue("Location").orElse("")).isEqualTo(200);
            assertThat(page.body()).contains("id=\"token-form\"");
            assertThat(page.headers().firstValue("Content-Security-Policy")).hasValueSatisfying(csp -> assertThat(csp)
                    .contains("connect-src 'self';").contains("default-src 'none'").contains("frame-ancestors 'none'"));
            assertThat(new JsonObject(TestHttp.getText(broker, "/ui/audit/config.json", null)))
                    .isEqualTo(new JsonObject().put("signIn", "development"));

            driver = BrowserSupport.startChromium(dir);
            driver.get(broker.uri().resolve("/ui/audit").toString());
            WebDriverWait wait = new WebDriverWait(driver, WAIT);

            // Sign in by pasting the token; it must not end up in the address.
            wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("token"))).sendKeys(officer);
            driver.findElement(By.cssSelector("#token-form button[type=submit]")).click();
            wait.until(d -> indexes(d).size() == 6);
            assertThat(driver.getCurrentUrl()).endsWith(PAGE).doesNotContain(officer);
            assertThat(driver.findElement(By.id("identity-text")).getText())
                    .startsWith("Signed in as ines · ehds-authority · compliance-officer");
            // Newest first by default, with the dataset's name beside its id.
            assertThat(actions(driver)).containsExactly("auth.failed", "grant.denied", "stream.closed", "stream.opened",
                    "grant.issued", "dataset.registered");
            assertThat(row(driver, "grant.issued").findElement(By.cssSelector("td.dataset")).getText())
                    .isEqualTo("small\nhospital-a · " + datasetId(broker, officer));
            assertThat(driver.findElement(By.id("sign-out")).isDisplayed()).isTrue();

            // The hostile subject is shown as text and never becomes markup.
            WebElement denied = row(driver, "grant.denied");
            assertThat(denied.findElements(By.tagName("td")).get(3).getText()).isEqualTo(HOSTILE_SUBJECT);
            assertThat(driver.findElements(By.cssSelector("#records-body img"))).isEmpty();
            assertThat(driver.getTitle()).isEqualTo("Sluice · Audit log");

            // The log verifies: signature and recomputed root.
            String root = signedRootHex(broker, officer);
            new WebDriverWait(driver, WAIT)
                    .withMessage(() -> "verification says: " + driver.findElement(By.id("verify-status")).getText())
                    .until(d -> d.findElement(By.id("verify-status")).getText().startsWith("Verified"));
            assertThat(driver.findElement(By.id("verify-status")).getText()).isEqualTo("Verified: 6 records, root "
                    + root + ", signed by sluice.local/audit (key " + keyId(broker) + ").");
            BrowserSupport.saveScreenshot(driver, "audit-page.png");

            // Filter: only the denied grant.
            new Select(driver.findElement(By.id("f-action"))).selectByValue("grant.denied");
            driver.findElement(By.id("apply-filters")).click();
            wait.until(d -> actions(d).equals(List.of("grant.denied")));
            assertThat(row(driver, "grant.denied").getText()).contains("denied").contains("PURPOSE_NOT_PERMITTED").contains("marketing");

            // Page through 6 records 5 at a time, and back.
            driver.findElement(By.id("clear-filters")).click();
            wait.until(d -> indexes(d).size() == 6);
            new Select(driver.findElement(By.id("f-limit"))).selectByValue("5");
            driver.findElement(By.id("apply-filters")).click();
            wait.until(d -> indexes(d).equals(List.of("5", "4", "3", "2", "1")));
            assertThat(driver.findElement(By.id("prev-page")).isEnabled()).isFalse();
            driver.findElement(By.id("next-page")).click();
            wait.until(d -> indexes(d).equals(List.of("0")));
            assertThat(driver.findElement(By.id("page-label")).getText()).isEqualTo("Page 2");
            driver.findElement(By.id("prev-page")).click();
            wait.until(d -> indexes(d).equals(List.of("5", "4", "3", "2", "1")));
            // The toggle: oldest first.
            new Select(driver.findElement(By.id("f-order"))).selectByValue("oldest");
            driver.findElement(By.id("apply-filters")).click();
            wait.until(d -> indexes(d).equals(List.of("0", "1", "2", "3", "4")));

            // The dataset filter takes the dataset's name; a name nobody has is said, not searched silently.
            driver.findElement(By.id("clear-filters")).click();
            wait.until(d -> indexes(d).size() == 6);
            driver.findElement(By.id("f-dataset")).sendKeys("small");
            driver.findElement(By.id("apply-filters")).click();
            wait.until(d -> actions(d).equals(List.of("grant.denied", "stream.closed", "stream.opened", "grant.issued",
                    "dataset.registered")));
            driver.findElement(By.id("f-dataset")).clear();
            driver.findElement(By.id("f-dataset")).sendKeys("no-such-dataset");
            driver.findElement(By.id("apply-filters")).click();
            wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("records-error")));
            assertThat(driver.findElement(By.id("records-error")).getText())
                    .startsWith("no dataset in the catalog is named \"no-such-dataset\"");

            // Free-text search finds a reason, and a dataset by its name.
            driver.findElement(By.id("clear-filters")).click();
            wait.until(d -> indexes(d).size() == 6);
            driver.findElement(By.id("f-q")).sendKeys("purpose_not_permitted");
            driver.findElement(By.id("apply-filters")).click();
            wait.until(d -> actions(d).equals(List.of("grant.denied")));
            driver.findElement(By.id("f-q")).clear();
            driver.findElement(By.id("f-q")).sendKeys("SMALL");
            driver.findElement(By.id("apply-filters")).click();
            wait.until(d -> actions(d).size() == 5 && !actions(d).contains("auth.failed"));
            driver.findElement(By.id("clear-filters")).click();
            wait.until(d -> indexes(d).size() == 6);

            // The stream's details match what the broker reports for it.
            row(driver, "stream.closed").findElement(By.cssSelector("button.stream-link")).click();
            wait.until(d -> !d.findElements(By.cssSelector("#details-facts dd[data-field=rows]")).isEmpty());
            assertThat(field(driver, "rows")).isEqualTo(String.format(Locale.US, "%,d", stream.getLong("rows")));
            assertThat(stream.getLong("rows")).isEqualTo(1000);
            assertThat(field(driver, "bytes")).startsWith(String.format(Locale.US, "%,d (", stream.getLong("bytes")));
            assertThat(field(driver, "sha256")).isEqualTo(stream.getString("sha256")).hasSize(64);
            assertThat(field(driver, "batches")).isEqualTo(String.format(Locale.US, "%,d", stream.getLong("batches")));
            assertThat(field(driver, "status")).isEqualTo("completed");
            assertThat(field(driver, "purpose")).isEqualTo("scientific-research");
            assertThat(field(driver, "shard")).isEqualTo("1 of 1 (shard 0), epoch 0");
            assertThat(field(driver, "agreement")).isEqualTo("agrees: same rows, bytes and SHA-256");
            BrowserSupport.saveScreenshot(driver, "audit-stream.png");
            driver.findElement(By.id("details-close")).click();
            wait.until(ExpectedConditions.invisibilityOfElementLocated(By.id("details")));

            // An operator edits record 1 in the database: the page names it.
            tamper(config, 1, "\"purpose\":\"scientific-research\"", "\"purpose\":\"quality-control\"");
            driver.findElement(By.id("verify-again")).click();
            wait.until(d -> d.findElement(By.id("verify-status")).getText().startsWith("Verification FAILED"));
            assertThat(driver.findElement(By.id("verify-status")).getText()).startsWith(
                    "Verification FAILED: record 1 was modified, or a record was inserted or deleted after it: record 2 names ");
            BrowserSupport.saveScreenshot(driver, "audit-page-tampered.png");

            // Signing out forgets the token and everything this user saw or chose: nothing carries over to the next one.
            driver.findElement(By.id("f-q")).sendKeys("small");
            driver.findElement(By.id("apply-filters")).click();
            wait.until(d -> actions(d).size() == 5);
            driver.findElement(By.id("sign-out")).click();
            wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("token")));
            assertThat(driver.findElement(By.id("sign-out")).isDisplayed()).isFalse();
            assertThat(driver.findElement(By.id("workspace")).isDisplayed()).isFalse();
            assertThat(script("return sessionStorage.length + localStorage.length")).isEqualTo(0L);
            assertThat(script("return document.getElementById('f-q').value")).isEqualTo("");
            assertThat(script("return document.querySelectorAll('#records-body tr').length")).isEqualTo(0L);

            // A data owner sees the records of their own datasets, each checked against the signed checkpoint by its
            // inclusion proof; record 1, altered above, is not verified.
            devSignIn(wait, "dr-weber", "hospital-a", "data-owner");
            wait.until(d -> indexes(d).size() == 5 && proofs(d).stream().noneMatch("pending"::equals));
            assertThat(actions(driver)).doesNotContain("auth.failed");
            assertThat(script("return document.getElementById('f-q').value")).isEqualTo("");
            assertThat(proofs(driver)).containsExactly("verified", "verified", "verified", "failed", "verified");
            assertThat(row(driver, "grant.issued").findElement(By.cssSelector("td.proof")).getText())
                    .startsWith("not verified").contains("it was modified");
            assertThat(driver.findElement(By.id("verify-status")).getText())
                    .startsWith("1 of 5 records NOT verified: record 1: ");
            assertThat(driver.findElement(By.id("export")).isDisplayed()).isFalse();
            BrowserSupport.saveScreenshot(driver, "audit-page-owner.png");

            // Another organisation's owner sees none of them.
            driver.findElement(By.id("sign-out")).click();
            wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("token")));
            devSignIn(wait, "dr-other", "hospital-b", "data-owner");
            wait.until(d -> d.findElement(By.id("records-body")).getText().equals("No records match these filters."));
        }
    }

    private void devSignIn(WebDriverWait wait, String subject, String organisation, String role) {
        WebElement details = driver.findElement(By.id("dev-sign-in"));
        if (details.getAttribute("open") == null) {
            details.findElement(By.tagName("summary")).click();
        }
        driver.findElement(By.id("dev-subject")).clear();
        driver.findElement(By.id("dev-subject")).sendKeys(subject);
        driver.findElement(By.id("dev-organisation")).clear();
        driver.findElement(By.id("dev-organisation")).sendKeys(organisation);
        new Select(driver.findElement(By.id("dev-role"))).selectByValue(role);
        driver.findElement(By.cssSelector("#dev-form button[type=submit]")).click();
        wait.until(d -> d.findElement(By.id("identity-text")).getText()
                .startsWith("Signed in as " + subject + " · " + organisation + " · " + role));
    }

    private Object script(String javascript) {
        return ((JavascriptExecutor) driver).executeScript(javascript);
    }

    private static List<String> proofs(WebDriver driver) {
        return rowAttribute(driver, "index").isEmpty() ? List.of() : proofCells(driver);
    }

    @SuppressWarnings("unchecked")
    private static List<String> proofCells(WebDriver driver) {
        return (List<String>) ((JavascriptExecutor) driver).executeScript(
                "return Array.from(document.querySelectorAll('#records-body tr[data-index] td.proof'), c => c.dataset.proof);");
    }

    private static String datasetId(Broker broker, String token) throws Exception {
        JsonArray datasets = new JsonObject(TestHttp.getText(broker, "/v1/catalog", token)).getJsonArray("datasets");
        return datasets.getJsonObject(0).getString("id");
    }

    @Test
    void refusesABadTokenOffersDevSignInAndItsVerifyScriptMatchesRfc6962() throws Exception {
        BrowserSupport.assumeChromium();
        try (Broker broker = Broker.start(BrokerConfig.embedded(dir.resolve("broker")))) {
            driver = BrowserSupport.startChromium(dir);
            driver.get(broker.uri().resolve("/ui/audit/index.html").toString());
            WebDriverWait wait = new WebDriverWait(driver, WAIT);

            // A token the broker refuses: the page says so, with the broker's message, and stays signed out.
            wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("token"))).sendKeys("not-a-token");
            driver.findElement(By.cssSelector("#token-form button[type=submit]")).click();
            wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("sign-in-error")));
            assertThat(driver.findElement(By.id("sign-in-error")).getText())
                    .startsWith("The broker refused the token: invalid token: ").contains(" (unauthenticated, request rq-")
                    .endsWith("). Sign in again.");
            assertThat(driver.findElement(By.id("token")).isDisplayed()).isTrue();
            assertThat(((JavascriptExecutor) driver).executeScript("return sessionStorage.getItem('sluice.audit.token')"))
                    .isNull();

            // This broker runs the development issuer, so the page offers its local-only sign-in.
            driver.findElement(By.cssSelector("#dev-sign-in summary")).click();
            assertThat(driver.findElement(By.cssSelector("#dev-sign-in .warning")).getText()).startsWith("For local use only.");
            driver.findElement(By.cssSelector("#dev-form button[type=submit]")).click();
            wait.until(d -> d.findElement(By.id("identity-text")).getText()
                    .startsWith("Signed in as compliance-officer · audit-authority · compliance-officer"));
            // A key whose base64 holds a '+': the verifier key splits at its first two '+' only.
            NoteSigner signer = IntStream.range(0, 256).mapToObj(AuditPageIT::seededSigner)
                    .filter(s -> s.verifierKey().split("\\+", 3)[2].contains("+")).findFirst().orElseThrow();
            String note = signer.sign("example.org/log\n8\n" + Base64.getEncoder().encodeToString(
                    HexFormat.of().parseHex(RFC6962_ROOTS.getLast())) + "\n");

            @SuppressWarnings("unchecked")
            Map<String, Object> result = (Map<String, Object>) ((JavascriptExecutor) driver).executeAsyncScript("""
                    const [leaves, key, note, done] = arguments;
                    const bytes = (h) => Uint8Array.from(h.match(/../g) || [], (x) => parseInt(x, 16));
                    import('/ui/audit/verify.js').then(async (v) => {
                      const tree = new v.MerkleRoot();
                      const roots = [];
                      for (const leaf of leaves) {
                        await tree.add(await v.leafHash(bytes(leaf)));
                        roots.push(v.hex(await tree.root()));
                      }
                      const publicKey = await v.parseVerifierKey(key);
                      const good = await v.verifySignature(v.parseCheckpoint(note), publicKey);
                      let altered = 'accepted';
                      try {
                        await v.verifySignature(v.parseCheckpoint(note.replace('\\n8\\n', '\\n9\\n')), publicKey);
                      } catch (e) {
                        altered = e.message;
                      }
                      done({empty: v.hex(await new v.MerkleRoot().root()), roots, good: good.checked, altered});
                    }).catch((e) => done({error: String(e)}));
                    """, RFC6962_LEAVES, signer.verifierKey(), note);

            assertThat(result).doesNotContainKey("error");
            assertThat(result.get("empty")).isEqualTo("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
            assertThat(result.get("roots")).isEqualTo(RFC6962_ROOTS);
            assertThat(result.get("good")).isEqualTo(true);
            assertThat(result.get("altered")).isEqualTo("the checkpoint signature by example.org/log is INVALID: "
                    + "the note was altered or signed by another key");
        }
    }

    /**
     * The export's checkpoint and key are the ones its own response carries (headers), the note decoded from
     * base64 as UTF-8 (its signature lines start with an em dash): it verifies with the broker's key at the size
     * the page names, and the page offers that key too.
     */
    @Test
    void theExportOffersTheCheckpointAndKeyOfItsOwnResponse() throws Exception {
        BrowserSupport.assumeChromium();
        try (Broker broker = Broker.start(BrokerConfig.embedded(dir.resolve("broker")))) {
            String key = TestHttp.getText(broker, "/v1/audit/public-key", null);
            driver = BrowserSupport.startChromium(dir);
            driver.get(broker.uri().resolve(PAGE).toString());
            WebDriverWait wait = new WebDriverWait(driver, WAIT);
            wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("token")));
            devSignIn(wait, "ines", "ehds-authority", "compliance-officer");
            // The files are blob: URLs, which the page's connect-src does not let a script fetch: keep the blobs.
            script("window.exportBlobs = []; const make = URL.createObjectURL;"
                    + " URL.createObjectURL = (blob) => { window.exportBlobs.push(blob); return make.call(URL, blob); };");
            driver.findElement(By.id("export-button")).click();
            wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("export-key")));
            String status = driver.findElement(By.id("export-status")).getText();
            assertThat(status).matches("[0-9,]+ records up to the checkpoint signed at that size; save the three files, then run"
                    + " sluice audit verify --file sluice-audit.jsonl --public-key KEY \\(sluice-audit.jsonl.pub is the key of"
                    + " the broker that signed: compare it with the key you trust\\).");
            long size = Long.parseLong(status.substring(0, status.indexOf(' ')).replace(",", ""));
            assertThat(driver.findElement(By.id("export-key")).getAttribute("download")).isEqualTo("sluice-audit.jsonl.pub");

            @SuppressWarnings("unchecked")
            List<String> files = (List<String>) ((JavascriptExecutor) driver).executeAsyncScript(
                    "const done = arguments[0]; Promise.all(window.exportBlobs.map((b) => b.text())).then(done,"
                            + " (e) => done([String(e)]));");
            assertThat(files).hasSize(3);
            assertThat(files.get(0).split("\n")).hasSize((int) size);
            Checkpoint signed = Checkpoint.parseBody(NoteVerifier.parse(key.trim()).verify(files.get(1)));
            assertThat(signed.size()).isEqualTo(size);
            assertThat(files.get(2)).isEqualTo(key);
        }
    }

    @Test
    void signOutLeavesNothingOfTheLastUserEvenWhenAnAnswerComesLate() throws Exception {
        BrowserSupport.assumeChromium();
        BrokerConfig config = BrokerConfig.embedded(dir.resolve("broker"));
        BrowserSupport.writeParquet(config.sourcesDir().resolve("hospital-a/small.parquet"), 1000);
        try (Broker broker = Broker.start(config)) {
            String streamId = createRecords(broker);
            String officer = TestHttp.devToken(broker, "ines", "ehds-authority", "compliance-officer");
            String datasetId = datasetId(broker, officer);
            driver = BrowserSupport.startChromium(dir);
            WebDriverWait wait = new WebDriverWait(driver, WAIT);
            driver.get(broker.uri().resolve(PAGE).toString());
            wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("token")));
            devSignIn(wait, "ines", "ehds-authority", "compliance-officer");
            wait.until(d -> indexes(d).size() == 6);

            // The dataset's view, then the stream's details, whose answer the broker is slow to give.
            row(driver, "grant.issued").findElement(By.cssSelector("button.dataset-link")).click();
            wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("#dataset-uses-body tr[data-grant]")));
            assertThat(driver.findElement(By.id("dataset-title")).getText()).isEqualTo("Dataset small (hospital-a)");
            driver.findElement(By.id("tab-records")).click();
            script("""
                    const original = window.fetch;
                    window.lateAnswerRead = false;
                    window.fetch = async (input, init) => {
                      const slow = String(input).includes('/v1/streams/');
                      if (slow) await new Promise((resolve) => setTimeout(resolve, 1000));
                      const response = await original(input, init);
                      if (slow) {
                        const json = response.json.bind(response);
                        // Marked after the page's own code has run on the answer (a later task than its awaits).
                        response.json = () => json().finally(() => setTimeout(() => { window.lateAnswerRead = true; }, 0));
                      }
                      return response;
                    };
                    """);
            row(driver, "stream.closed").findElement(By.cssSelector("button.stream-link")).click();
            wait.until(d -> d.findElement(By.id("details-raw")).getAttribute("textContent").contains(streamId));
            assertThat(driver.findElement(By.id("dataset-view")).getAttribute("data-dataset")).isEqualTo(datasetId);

            // Signed out while the dialog is open (the modal dialog covers the button: a script clicks it).
            script("document.getElementById('sign-out').click()");
            wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("token")));
            wait.until(d -> Boolean.TRUE.equals(script("return window.lateAnswerRead")));

            assertThat(script("return document.getElementById('details').open")).isEqualTo(false);
            String everything = (String) script("return document.body.textContent");
            assertThat(everything).doesNotContain(streamId, datasetId, "trainer-7", "hospital-a", "scientific-research",
                    "ehds-authority", "Dataset small");
            assertThat(driver.findElement(By.id("dataset-title")).getAttribute("textContent")).isEqualTo("Dataset");
            assertThat(driver.findElement(By.id("verify-status")).getAttribute("textContent")).isEqualTo("Not checked yet.");
            assertThat(driver.findElement(By.id("tab-dataset")).isDisplayed()).isFalse();
            assertThat(driver.findElement(By.id("sign-in-error")).getText()).isEqualTo("Signed out.");
        }
    }

    @Test
    void failsClosedWithoutItsConfigAndItsScriptsCheckIdTokensCapProofRequestsAndDrawTimeLinearly() throws Exception {
        BrowserSupport.assumeChromium();
        try (Broker broker = Broker.start(BrokerConfig.embedded(dir.resolve("broker")))) {
            ChromeDriver chrome = BrowserSupport.startChromium(dir);
            driver = chrome;
            WebDriverWait wait = new WebDriverWait(driver, WAIT);

            // The broker cannot say how to sign in: the page says so and offers no way in, not even the token form.
            chrome.executeCdpCommand("Network.enable", Map.of());
            chrome.executeCdpCommand("Network.setBlockedURLs", Map.of("urls", List.of("*/ui/audit/config.json")));
            driver.get(broker.uri().resolve(PAGE).toString());
            wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("config-error")));
            assertThat(driver.findElement(By.id("config-error")).getText())
                    .startsWith("Could not ask the broker how to sign in (").endsWith("). Reload the page to try again.");
            for (String way : List.of("token-sign-in", "oidc-sign-in", "dev-sign-in", "workspace", "identity")) {
                assertThat(driver.findElement(By.id(way)).isDisplayed()).as(way).isFalse();
            }
            chrome.executeCdpCommand("Network.setBlockedURLs", Map.of("urls", List.of()));
            driver.navigate().refresh();
            wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("token")));
            assertThat(driver.findElement(By.id("config-error")).isDisplayed()).isFalse();

            NoteSigner signer = seededSigner(7);
            String note = signer.sign("example.org/log\n40\n" + Base64.getEncoder().encodeToString(new byte[32]) + "\n");
            @SuppressWarnings("unchecked")
            Map<String, Object> result = (Map<String, Object>) ((JavascriptExecutor) driver).executeAsyncScript("""
                    const [key, note, done] = arguments;
                    Promise.all([import('/ui/audit/oidc.js'), import('/ui/audit/verify.js'), import('/ui/audit/chart.js')])
                      .then(async ([oidc, v, chart]) => {
                        const now = Date.parse('2026-03-01T12:00:00Z');
                        const expected = { issuer: 'https://id.example/realms/ds', clientId: 'sluice-audit-ui', nonce: 'n-1', now };
                        const good = { iss: expected.issuer, aud: ['sluice-audit-ui', 'account'], azp: 'sluice-audit-ui',
                          nonce: 'n-1', sub: 'u-1', exp: now / 1000 + 300 };
                        const claims = {
                          good, onlyAudience: { ...good, aud: 'sluice-audit-ui', azp: undefined },
                          issuer: { ...good, iss: 'https://evil.example/realms/ds' }, audience: { ...good, aud: 'other-app' },
                          azp: { ...good, azp: 'other-app' }, nonce: { ...good, nonce: 'n-2' },
                          expired: { ...good, exp: now / 1000 - 120 }, noExpiry: { ...good, exp: undefined }, none: null,
                        };
                        const problems = {};
                        for (const [name, c] of Object.entries(claims)) problems[name] = oidc.idTokenProblem(c, expected);
                        problems.otherUser = oidc.idTokenProblem(good, { ...expected, nonce: undefined, subject: 'u-2' });

                        // 40 records' proofs, never more than a few asked for at once.
                        let inFlight = 0;
                        let most = 0;
                        const api = async () => {
                          most = Math.max(most, ++inFlight);
                          await new Promise((resolve) => setTimeout(resolve, 10));
                          inFlight--;
                          return { hashes: [] };
                        };
                        const text = async (path) => (path.endsWith('/public-key') ? key : note);
                        const records = Array.from({ length: 40 }, (_, index) => ({ index, action: 'auth.failed' }));
                        const report = await v.verifyRecords({ api, text, records });

                        const hour = chart.timeAxis(['2026-03-01T10:05:00Z', '2026-03-01T10:55:00Z', '2026-03-01T13:15:00Z']
                          .map(Date.parse));
                        const day = chart.timeAxis(['2026-03-01T10:05:00Z', '2026-03-05T23:00:00Z'].map(Date.parse));
                        done({ problems, most, checked: report.results.size, hourKeys: hour.keys, hourUnit: hour.unit,
                          hourOf: hour.keyOf(Date.parse('2026-03-01T12:30:00Z')), dayKeys: day.keys, dayUnit: day.unit });
                      }).catch((e) => done({ error: String(e) }));
                    """, signer.verifierKey(), note);

            assertThat(result).doesNotContainKey("error");
            @SuppressWarnings("unchecked")
            Map<String, Object> problems = (Map<String, Object>) result.get("problems");
            assertThat(problems.get("good")).isNull();
            assertThat(problems.get("onlyAudience")).isNull();
            assertThat(problems.get("issuer"))
                    .isEqualTo("the ID token was issued by https://evil.example/realms/ds, not https://id.example/realms/ds");
            assertThat(problems.get("audience")).isEqualTo("the ID token is for other-app, not this page (sluice-audit-ui)");
            assertThat(problems.get("azp")).isEqualTo("the ID token was requested by other-app, not this page (sluice-audit-ui)");
            assertThat(problems.get("nonce")).isEqualTo("the ID token does not carry this sign-in's nonce");
            assertThat(problems.get("expired")).isEqualTo("the ID token has expired");
            assertThat(problems.get("noExpiry")).isEqualTo("the ID token has expired");
            assertThat(problems.get("none")).isEqualTo("the sign-in service sent no readable ID token");
            assertThat(problems.get("otherUser")).isEqualTo("the renewed ID token names another user");

            assertThat(result.get("checked")).isEqualTo(40L);
            assertThat((Long) result.get("most")).isBetween(1L, 6L);

            // Empty hours and days are on the axis (drawn as zero), not left out.
            assertThat(result.get("hourUnit")).isEqualTo("hour");
            assertThat(result.get("hourKeys")).isEqualTo(List.of("2026-03-01 10h", "2026-03-01 11h", "2026-03-01 12h",
                    "2026-03-01 13h"));
            assertThat(result.get("hourOf")).isEqualTo("2026-03-01 12h");
            assertThat(result.get("dayUnit")).isEqualTo("day");
            assertThat(result.get("dayKeys")).isEqualTo(List.of("2026-03-01", "2026-03-02", "2026-03-03", "2026-03-04",
                    "2026-03-05"));
        }
    }

    private static NoteSigner seededSigner(int seed) {
        byte[] key = new byte[32];
        Arrays.fill(key, (byte) seed);
        return NoteSigner.fromPrivateKey("example.org/log", key);
    }

    /** register, grant, stream (read to the end), a denied grant, an unauthenticated request; returns the stream id. */
    private static String createRecords(Broker broker) throws Exception {
        String owner = TestHttp.devToken(broker, "dr-weber", "hospital-a", "data-owner");
        String lab = TestHttp.devToken(broker, "trainer-7", "ai-lab", "data-consumer");
        var minted = TestHttp.post(broker, "/v1/dev/token", null, new JsonObject().put("subject", HOSTILE_SUBJECT)
                .put("organisation", "ai-lab").put("roles", new JsonArray().add("data-consumer")).encode());
        assertThat(minted.statusCode()).as(minted.body()).isEqualTo(200);
        String hostile = new JsonObject(minted.body()).getString("token");
        var registered = TestHttp.post(broker, "/v1/datasets", owner, "{\"name\":\"small\",\"source\":"
                + "{\"type\":\"parquet\",\"path\":\"small.parquet\"},\"policy\":" + POLICY + "}");
        assertThat(registered.statusCode()).as(registered.body()).isEqualTo(201);
        String datasetId = new JsonObject(registered.body()).getString("id");
        var granted = TestHttp.post(broker, "/v1/grants", lab, "{\"dataset\":\"" + datasetId + "\",\"purpose\":\"scientific-research\"}");
        assertThat(granted.statusCode()).as(granted.body()).isEqualTo(201);
        String grantId = new JsonObject(granted.body()).getString("id");

        HttpResponse<byte[]> stream = HTTP.send(HttpRequest.newBuilder(broker.uri().resolve("/v1/grants/" + grantId + "/stream"))
                .header("Authorization", "Bearer " + lab).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(stream.statusCode()).isEqualTo(200);
        assertThat(stream.body()).isNotEmpty();
        String streamId = stream.headers().firstValue("Sluice-Stream-Id").orElseThrow();
        awaitCompleted(broker, lab, streamId);

        var denied = TestHttp.post(broker, "/v1/grants", hostile, "{\"dataset\":\"" + datasetId + "\",\"purpose\":\"marketing\"}");
        assertThat(denied.statusCode()).as(denied.body()).isEqualTo(403);
        assertThat(TestHttp.get(broker, "/v1/catalog", null).statusCode()).isEqualTo(401);
        return streamId;
    }

    /** The stream.closed record is written as the response ends; wait for it, bounded. */
    private static void awaitCompleted(Broker broker, String token, String streamId) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            String status = new JsonObject(TestHttp.getText(broker, "/v1/streams/" + streamId, token)).getString("status");
            if (status.equals("completed")) {
                return;
            }
            assertThat(System.nanoTime()).as("stream %s still %s", streamId, status).isLessThan(deadline);
            Thread.sleep(50);
        }
    }

    private static List<String> indexes(WebDriver driver) {
        return rowAttribute(driver, "index");
    }

    private static List<String> actions(WebDriver driver) {
        return rowAttribute(driver, "action");
    }

    /** One attribute of every table row, read in one script so a table being redrawn cannot go stale under us. */
    @SuppressWarnings("unchecked")
    private static List<String> rowAttribute(WebDriver driver, String name) {
        return (List<String>) ((JavascriptExecutor) driver).executeScript(
                "return Array.from(document.querySelectorAll('#records-body tr[data-index]'), r => r.dataset[arguments[0]]);",
                name);
    }

    private static WebElement row(WebDriver driver, String action) {
        return driver.findElement(By.cssSelector("#records-body tr[data-action='" + action + "']"));
    }

    private static String field(WebDriver driver, String name) {
        return driver.findElement(By.cssSelector("#details-facts dd[data-field='" + name + "']")).getText();
    }

    private static String signedRootHex(Broker broker, String token) throws Exception {
        String[] lines = TestHttp.getText(broker, "/v1/audit/checkpoint", token).split("\n");
        return HexFormat.of().formatHex(Base64.getDecoder().decode(lines[2]));
    }

    private static String keyId(Broker broker) throws Exception {
        return TestHttp.getText(broker, "/v1/audit/public-key", null).trim().split("\\+")[1];
    }

    private static void tamper(BrokerConfig config, long index, String from, String to) throws Exception {
        try (Connection connection = DriverManager.getConnection(config.jdbcUrl())) {
            try (PreparedStatement read = connection.prepareStatement("SELECT record_json FROM audit_log WHERE idx = ?")) {
                read.setLong(1, index);
                try (ResultSet rows = read.executeQuery()) {
                    assertThat(rows.next()).isTrue();
                    assertThat(rows.getString(1)).contains(from);
                }
            }
            try (PreparedStatement update = connection.prepareStatement(
                    "UPDATE audit_log SET record_json = REPLACE(record_json, ?, ?) WHERE idx = ?")) {
                update.setString(1, from);
                update.setString(2, to);
                update.setLong(3, index);
                assertThat(update.executeUpdate()).isEqualTo(1);
            }
        }
    }
}
