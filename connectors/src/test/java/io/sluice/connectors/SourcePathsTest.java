package io.sluice.connectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SourcePathsTest {
    @TempDir
    Path dir;

    private Path root;
    private Path outside;

    @BeforeEach
    void createRootAndAFileOutsideIt() throws IOException {
        root = Files.createDirectory(dir.resolve("acme"));
        Files.createDirectory(root.resolve("sales"));
        Files.writeString(root.resolve("sales/2026.parquet"), "data");
        outside = Files.writeString(dir.resolve("secret.parquet"), "other org");
    }

    @Test
    void resolvesAGoodRelativePathToItsRealPath() throws IOException {
        Files.createSymbolicLink(root.resolve("latest.parquet"), root.resolve("sales/2026.parquet"));

        assertThat(SourcePaths.resolveConfined(root, "sales/2026.parquet"))
                .isEqualTo(root.resolve("sales/2026.parquet").toRealPath());
        assertThat(SourcePaths.resolveConfined(root, "latest.parquet"))
                .isEqualTo(root.resolve("sales/2026.parquet").toRealPath());
    }

    @Test
    void refusesADotDotEscape() {
        assertThatThrownBy(() -> SourcePaths.resolveConfined(root, "sales/../../secret.parquet"))
                .isInstanceOfSatisfying(ConnectorException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(ConnectorErrorCode.PATH_OUTSIDE_ROOT))
                .hasMessage("source path 'sales/../../secret.parquet' resolves outside your organisation's directory");
    }

    @Test
    void refusesAnAbsolutePath() {
        String absolute = outside.toAbsolutePath().toString();

        assertThatThrownBy(() -> SourcePaths.resolveConfined(root, absolute))
                .isInstanceOfSatisfying(ConnectorException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(ConnectorErrorCode.PATH_OUTSIDE_ROOT))
                .hasMessage("source path '" + absolute
                        + "' is absolute; give it relative to your organisation's directory");
    }

    @Test
    void refusesASymlinkInsideTheRootThatPointsOutside() throws IOException {
        Files.createSymbolicLink(root.resolve("shortcut.parquet"), outside);

        assertThatThrownBy(() -> SourcePaths.resolveConfined(root, "shortcut.parquet"))
                .isInstanceOfSatisfying(ConnectorException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(ConnectorErrorCode.PATH_OUTSIDE_ROOT))
                .hasMessage("source path 'shortcut.parquet' resolves outside your organisation's directory");
    }

    @Test
    void refusesADirectorySymlinkThatLeadsOutside() throws IOException {
        Files.createSymbolicLink(root.resolve("shared"), dir);

        assertThatThrownBy(() -> SourcePaths.resolveConfined(root, "shared/secret.parquet"))
                .isInstanceOfSatisfying(ConnectorException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(ConnectorErrorCode.PATH_OUTSIDE_ROOT));
    }

    @Test
    void reportsAMissingFileAsNotFound() {
        assertThatThrownBy(() -> SourcePaths.resolveConfined(root, "sales/2025.parquet"))
                .isInstanceOfSatisfying(ConnectorException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(ConnectorErrorCode.SOURCE_NOT_FOUND))
                .hasMessage("source path 'sales/2025.parquet' does not exist");
    }

    @Test
    void refusesANamedPipeWithoutOpeningIt() throws Exception {
        Fifos.make(root.resolve("sales/pipe.parquet"));

        // Opening the pipe would block this thread until a writer came; the check only reads attributes.
        assertThatThrownBy(() -> SourcePaths.resolveConfined(root, "sales/pipe.parquet"))
                .isInstanceOfSatisfying(ConnectorException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(ConnectorErrorCode.NOT_A_REGULAR_FILE))
                .hasMessage("'sales/pipe.parquet' is a named pipe (FIFO), not a regular file; a source reads only"
                        + " regular files (a directory source: regular files in folders)");
    }

    @Test
    void refusesALinkToANamedPipeNamingTheLinkAsGiven() throws Exception {
        Fifos.make(root.resolve("sales/pipe"));
        Files.createSymbolicLink(root.resolve("data.csv"), root.resolve("sales/pipe"));

        assertThatThrownBy(() -> SourcePaths.resolveConfined(root, "data.csv"))
                .isInstanceOfSatisfying(ConnectorException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(ConnectorErrorCode.NOT_A_REGULAR_FILE))
                .hasMessageStartingWith("'data.csv' is a named pipe (FIFO)");
    }

    @Test
    void refusesAPathThroughARegularFileWithoutNamingTheServerPath() {
        assertThatThrownBy(() -> SourcePaths.resolveConfined(root, "sales/2026.parquet/x"))
                .isInstanceOfSatisfying(ConnectorException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(ConnectorErrorCode.INVALID_SOURCE_CONFIG))
                .hasMessage("source path 'sales/2026.parquet/x' cannot be resolved: Not a directory");
    }

    @Test
    void refusesALoopOfLinksWithoutNamingTheServerPath() throws IOException {
        Files.createSymbolicLink(root.resolve("a"), root.resolve("b"));
        Files.createSymbolicLink(root.resolve("b"), root.resolve("a"));

        assertThatThrownBy(() -> SourcePaths.resolveConfined(root, "a"))
                .isInstanceOfSatisfying(ConnectorException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(ConnectorErrorCode.INVALID_SOURCE_CONFIG))
                .hasMessageStartingWith("source path 'a' cannot be resolved: Too many levels of symbolic links")
                .message().doesNotContain(dir.toString());
    }
}
