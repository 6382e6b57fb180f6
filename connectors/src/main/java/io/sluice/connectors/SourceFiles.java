package io.sluice.connectors;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Objects;

/**
 * Opens a source's files only when they are regular files, and says why without naming server paths.
 *
 * <p>Opening a named pipe blocks until someone writes to it, and reading a device may never end: a
 * data owner who registered one would hold a broker thread for good, and a few such registrations
 * stall every blocking route. Reading a file's attributes never opens it, so it cannot block; every
 * source file is checked that way before it is opened. A file swapped for a pipe in the instant
 * between the check and the open is not caught (Java opens no file with {@code O_NONBLOCK}); see
 * docs/THREAT-MODEL.md.
 */
public final class SourceFiles {
    private SourceFiles() {}

    /**
     * Opens {@code file} for reading after checking, without opening it, that it is a regular file
     * (a symbolic link is followed: the broker confines links before a connector sees a path).
     *
     * @param name how messages name the file: never an absolute server path
     * @throws ConnectorException {@link ConnectorErrorCode#NOT_A_REGULAR_FILE} for a pipe, socket,
     *     device or directory
     * @throws IOException when the file cannot be read (missing, not readable)
     */
    public static FileChannel openRegular(Path file, String name) throws IOException {
        requireRegular(file, name, Files.readAttributes(file, BasicFileAttributes.class));
        return FileChannel.open(file, StandardOpenOption.READ);
    }

    /**
     * Refuses anything but a regular file or, where {@code directoryAllowed}, a directory; reads
     * the attributes of {@code path} itself, never of a link's target.
     *
     * @param name how the message names the path: as the owner gave it
     * @throws IOException when the attributes cannot be read
     */
    public static void requireRegularOrDirectory(Path path, String name) throws IOException {
        BasicFileAttributes attributes = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (!attributes.isDirectory()) {
            requireRegular(path, name, attributes);
        }
    }

    /** @throws ConnectorException {@link ConnectorErrorCode#NOT_A_REGULAR_FILE} unless {@code attributes} are a regular file's */
    public static void requireRegular(Path path, String name, BasicFileAttributes attributes) {
        requireNonNull(path, "path is null");
        requireNonNull(name, "name is null");
        if (!attributes.isRegularFile()) {
            throw new ConnectorException(ConnectorErrorCode.NOT_A_REGULAR_FILE, "'" + name + "' is " + kind(path, attributes)
                    + ", not a regular file; a source reads only regular files (a directory source: regular files in folders)");
        }
    }

    /**
     * Why an I/O operation failed, without the path the JDK puts into its messages: "Not a
     * directory", "Too many levels of symbolic links", "Input/output error".
     */
    public static String reason(IOException e) {
        requireNonNull(e, "e is null");
        if (e instanceof FileSystemException fs) {
            return Objects.requireNonNullElse(fs.getReason(), e.getClass().getSimpleName());
        }
        return Objects.requireNonNullElse(e.getMessage(), e.getClass().getSimpleName());
    }

    private static String kind(Path path, BasicFileAttributes attributes) {
        if (attributes.isDirectory()) {
            return "a directory";
        }
        if (attributes.isSymbolicLink()) {
            return "a symbolic link";
        }
        try {
            // S_IFMT of st_mode: what kind of special file it is, for a message the owner can act on.
            int type = ((Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS)) & 0170000;
            return switch (type) {
                case 0010000 -> "a named pipe (FIFO)";
                case 0140000 -> "a socket";
                case 0020000 -> "a character device";
                case 0060000 -> "a block device";
                default -> "a special file";
            };
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException | ClassCastException e) {
            return "a special file";
        }
    }
}
