package io.sluice.connectors;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Confines a data owner's source path to the owner's own directory.
 *
 * <p>The path is resolved with every symbolic link followed, so neither {@code ..} nor a link
 * that points elsewhere can leave the root.
 */
public final class SourcePaths {
    private SourcePaths() {}

    /**
     * Resolves {@code relative} inside {@code root}.
     *
     * @return the real path of the source, inside the real path of the root
     * @throws ConnectorException {@link ConnectorErrorCode#PATH_OUTSIDE_ROOT} for absolute paths
     *     and for paths that leave the root; {@link ConnectorErrorCode#SOURCE_NOT_FOUND} when
     *     nothing is there; {@link ConnectorErrorCode#NOT_A_REGULAR_FILE} for a pipe, socket or device;
     *     {@link ConnectorErrorCode#INVALID_SOURCE_CONFIG} for a path through a file or a loop of links.
     *     Messages name the path as {@code relative} gives it, never the server's absolute path
     */
    public static Path resolveConfined(Path root, String relative) {
        requireNonNull(root, "root is null");
        requireNonNull(relative, "relative is null");
        if (relative.isBlank()) {
            throw new ConnectorException(ConnectorErrorCode.INVALID_SOURCE_CONFIG, "source path is empty");
        }
        Path candidate;
        try {
            candidate = Path.of(relative);
        } catch (InvalidPathException e) {
            throw new ConnectorException(ConnectorErrorCode.INVALID_SOURCE_CONFIG,
                    "source path '" + relative + "' is not a valid path: " + e.getReason());
        }
        if (candidate.isAbsolute()) {
            throw new ConnectorException(ConnectorErrorCode.PATH_OUTSIDE_ROOT,
                    "source path '" + relative + "' is absolute; give it relative to your organisation's directory");
        }
        Path realRoot;
        try {
            realRoot = root.toRealPath();
        } catch (IOException e) {
            throw new ConnectorException(ConnectorErrorCode.SOURCE_NOT_FOUND,
                    "source path '" + relative + "' does not exist (your organisation has no source directory)");
        }
        Path lexical = realRoot.resolve(candidate).normalize();
        if (!lexical.startsWith(realRoot)) {
            throw outside(relative);
        }
        Path real;
        try {
            real = lexical.toRealPath();
        } catch (NoSuchFileException e) {
            throw new ConnectorException(ConnectorErrorCode.SOURCE_NOT_FOUND,
                    "source path '" + relative + "' does not exist");
        } catch (AccessDeniedException e) {
            throw notReadable(relative);
        } catch (FileSystemException e) {
            // A path through a regular file ("Not a directory") or a loop of links ("Too many levels
            // of symbolic links") is the owner's to fix; the JDK's message would name the server path.
            throw new ConnectorException(ConnectorErrorCode.INVALID_SOURCE_CONFIG,
                    "source path '" + relative + "' cannot be resolved: " + SourceFiles.reason(e), e);
        } catch (IOException e) {
            throw new ConnectorException(ConnectorErrorCode.SOURCE_READ_FAILED,
                    "source path '" + relative + "' cannot be resolved: " + SourceFiles.reason(e), e);
        }
        if (!real.startsWith(realRoot)) {
            throw outside(relative);
        }
        try {
            // Before anything opens it: a named pipe would block the opening thread until a writer came.
            SourceFiles.requireRegularOrDirectory(real, relative);
        } catch (IOException e) {
            throw new ConnectorException(ConnectorErrorCode.SOURCE_READ_FAILED,
                    "source path '" + relative + "' cannot be read: " + SourceFiles.reason(e), e);
        }
        if (!Files.isReadable(real)) {
            throw notReadable(relative);
        }
        return real;
    }

    private static ConnectorException notReadable(String relative) {
        return new ConnectorException(ConnectorErrorCode.SOURCE_NOT_FOUND, "source path '" + relative + "' is not readable");
    }

    private static ConnectorException outside(String relative) {
        return new ConnectorException(ConnectorErrorCode.PATH_OUTSIDE_ROOT,
                "source path '" + relative + "' resolves outside your organisation's directory");
    }
}
