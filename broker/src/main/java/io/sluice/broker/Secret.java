package io.sluice.broker;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A secret (a database password) and the file it was read from. Secrets reach the broker only
 * through files, never a command line or an environment variable, which other users of the machine
 * and every crash report can see. {@link #toString()} names the file, never the value, so a
 * configuration can be logged or printed whole.
 *
 * @param value the secret itself
 * @param file where it came from
 */
public record Secret(String value, Path file) {
    private static final Logger LOG = LoggerFactory.getLogger(Secret.class);
    private static final Set<PosixFilePermission> GROUP_OR_OTHERS = EnumSet.of(
            PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
            PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);
    private static final Set<Path> WARNED = ConcurrentHashMap.newKeySet();

    public Secret {
        requireNonNull(value, "value is null");
        requireNonNull(file, "file is null");
        if (value.isEmpty()) {
            throw new IllegalArgumentException("the secret in " + file + " is empty");
        }
    }

    /**
     * Reads a secret file: its whole content as UTF-8, less the line ends at its end (editors and
     * {@code echo} add one). A file that group or others may use is read all the same but warned
     * about once, as ssh does for a private key; refusing it would only make operators loosen more.
     *
     * @throws IllegalArgumentException the file cannot be read or holds nothing
     */
    public static Secret readFile(Path file) {
        requireNonNull(file, "file is null");
        String content;
        try {
            content = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read the secret file " + file + ": " + e, e);
        }
        warnIfOthersMayRead(file);
        int end = content.length();
        while (end > 0 && (content.charAt(end - 1) == '\n' || content.charAt(end - 1) == '\r')) {
            end--;
        }
        return new Secret(content.substring(0, end), file);
    }

    private static void warnIfOthersMayRead(Path file) {
        try {
            Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file);
            if (permissions.stream().anyMatch(GROUP_OR_OTHERS::contains) && WARNED.add(file.toAbsolutePath().normalize())) {
                LOG.warn("secret file {} is open to group or others (permissions {}): chmod 600 it",
                        file, PosixFilePermissions.toString(permissions));
            }
        } catch (UnsupportedOperationException | IOException e) {
            // Not a POSIX file system (or the attributes are hidden): nothing to say.
        }
    }

    /** Names the file, never the secret. */
    @Override
    public String toString() {
        return "(from " + file + ")";
    }
}
