package io.sluice.broker;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/** The version this broker was built as, from the file the build writes; shown by health and {@code --version}. */
public final class BrokerVersion {
    private static final String VERSION = load();

    private BrokerVersion() {}

    /** The Maven project version, e.g. {@code 0.1.0-SNAPSHOT}. */
    public static String get() {
        return VERSION;
    }

    private static String load() {
        try (InputStream in = BrokerVersion.class.getResourceAsStream("version.properties")) {
            if (in == null) {
                throw new IllegalStateException("version.properties is missing from the broker's jar");
            }
            Properties properties = new Properties();
            properties.load(in);
            String version = properties.getProperty("version", "");
            // An unfiltered file (an IDE that copies resources itself) would say "${project.version}".
            if (version.isBlank() || version.startsWith("${")) {
                throw new IllegalStateException("version.properties was not filled in by the build: " + version);
            }
            return version;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read version.properties", e);
        }
    }
}
