package io.sluice.broker.ui;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/** Debian's headless Chromium for the page tests, screenshots, layout checks and a small Parquet source. */
final class BrowserSupport {
    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    static final Duration WAIT = Duration.ofSeconds(15);
    /** Selenium looks for a DevTools binding of this Chromium's version; the tests drive it over WebDriver only. */
    private static final Logger CDP_VERSION_WARNING = Logger.getLogger("org.openqa.selenium.devtools.CdpVersionFinder");

    private BrowserSupport() {}

    static void assumeChromium() {
        assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
                "needs Debian's headless Chromium: /usr/bin/chromium and /usr/bin/chromedriver are missing "
                        + "(apt-get install -y chromium chromium-driver)");
    }

    static ChromeDriver startChromium(Path dir) throws IOException {
        CDP_VERSION_WARNING.setLevel(Level.OFF);
        Path profile = Files.createDirectories(dir.resolve("chromium-profile"));
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
                "--disable-extensions", "--window-size=1440,1400", "--user-data-dir=" + profile);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort()
                .withLogFile(dir.resolve("chromedriver.log").toFile())
                .build();
        ChromeDriver chrome = new ChromeDriver(service, options);
        chrome.manage().timeouts().pageLoadTimeout(WAIT).scriptTimeout(WAIT);
        chrome.manage().window().setSize(new Dimension(1440, 1400));
        return chrome;
    }

    static void saveScreenshot(WebDriver driver, String name) throws IOException {
        Path folder = Files.createDirectories(Path.of(System.getProperty("basedir", ".")).resolve("target/ui-screenshots"));
        Files.write(folder.resolve(name), ((ChromeDriver) driver).getScreenshotAs(OutputType.BYTES));
    }

    /**
     * Sizes the page's viewport to {@code width} CSS pixels, takes a screenshot, and checks that the
     * layout holds: nothing wider than the viewport, and each element of {@code visible} (CSS selectors;
     * a wide table counts by its scrolling frame) shown and inside it.
     */
    static void checkLayoutAt(WebDriver driver, int width, String screenshot, List<String> visible) throws IOException {
        JavascriptExecutor js = (JavascriptExecutor) driver;
        // The window includes the browser's frame: grow it until the viewport itself is the width asked for.
        driver.manage().window().setSize(new Dimension(width, 1100));
        long inner = ((Number) js.executeScript("return window.innerWidth")).longValue();
        driver.manage().window().setSize(new Dimension((int) (2 * width - inner), 1100));
        assertThat(((Number) js.executeScript("return window.innerWidth")).longValue()).isEqualTo(width);
        saveScreenshot(driver, screenshot);
        long scrollWidth = ((Number) js.executeScript("return document.documentElement.scrollWidth")).longValue();
        assertThat(scrollWidth).as("page width at a %d px viewport (%s)", width, screenshot).isLessThanOrEqualTo(width);
        for (String selector : visible) {
            assertThat(driver.findElement(By.cssSelector(selector)).isDisplayed()).as("%s shown at %d px", selector, width)
                    .isTrue();
            Number right = (Number) js.executeScript(
                    "return document.querySelector(arguments[0]).getBoundingClientRect().right", selector);
            assertThat(right.doubleValue()).as("%s's right edge at %d px", selector, width).isLessThanOrEqualTo(width);
        }
    }

    static void writeParquet(Path file, int rows) throws IOException {
        Files.createDirectories(file.getParent());
        MessageType schema = MessageTypeParser.parseMessageType("message t { required int64 id; required binary name (STRING); }");
        SimpleGroupFactory groups = new SimpleGroupFactory(schema);
        try (ParquetWriter<Group> writer = ExampleParquetWriter.builder(new LocalOutputFile(file))
                .withConf(new PlainParquetConfiguration()).withType(schema).build()) {
            for (long i = 0; i < rows; i++) {
                writer.write(groups.newGroup().append("id", i).append("name", "n" + i));
            }
        }
    }
}
