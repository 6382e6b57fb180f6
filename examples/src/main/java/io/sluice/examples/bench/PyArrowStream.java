package io.sluice.examples.bench;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Sluice broker -> pyarrow: a {@code python3} process runs {@code pyarrow_stream.py} (a resource of
 * this package, copied into the run's directory), which reads the grant's stream with
 * {@code pyarrow.ipc.open_stream} over the body of an {@code http.client} response and reports bytes,
 * rows and its own wall time, from sending the request to the last batch: the interpreter's start
 * and pyarrow's import are not counted.
 */
final class PyArrowStream {
    private static final String SCRIPT = "pyarrow_stream.py";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String python;
    private final Path script;
    private final URI streamUri;
    private final Supplier<String> token;

    private PyArrowStream(String python, Path script, URI streamUri, Supplier<String> token) {
        this.python = python;
        this.script = script;
        this.streamUri = streamUri;
        this.token = token;
    }

    /**
     * Prepares the contender, or says why it cannot run: no {@code python} on the path, or no
     * pyarrow in it (with how to install it).
     */
    static Result prepare(String python, Path workDirectory, URI streamUri, Supplier<String> token) throws IOException {
        requireNonNull(python, "python is null");
        Optional<String> version = pyarrowVersion(python);
        if (version.isEmpty()) {
            return new Result(Optional.empty(), "'" + python + "' cannot import pyarrow, so the pyarrow contender is"
                    + " skipped. Install it with `" + python + " -m pip install pyarrow` (from a directory of wheels:"
                    + " `pip install --no-index --find-links DIR pyarrow`), or name another Python with --python PATH");
        }
        Path script = workDirectory.resolve(SCRIPT);
        try (InputStream resource = PyArrowStream.class.getResourceAsStream(SCRIPT)) {
            if (resource == null) {
                throw new IllegalStateException(SCRIPT + " is missing from the examples jar");
            }
            Files.copy(resource, script, StandardCopyOption.REPLACE_EXISTING);
        }
        return new Result(Optional.of(new PyArrowStream(python, script, streamUri, token)), "pyarrow " + version.get());
    }

    /** A prepared contender, or none; and a line for the report. */
    record Result(Optional<PyArrowStream> stream, String note) {}

    Transfer run() throws Exception {
        ProcessBuilder builder = new ProcessBuilder(List.of(python, script.toString(), streamUri.toString()));
        builder.environment().put("SLUICE_TOKEN", token.get());
        builder.redirectError(ProcessBuilder.Redirect.INHERIT);
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (!process.waitFor(10, TimeUnit.MINUTES) || process.exitValue() != 0) {
            process.destroyForcibly();
            throw new IllegalStateException(SCRIPT + " failed (exit " + (process.isAlive() ? "none" : process.exitValue())
                    + "): " + output);
        }
        JsonNode report = JSON.readTree(output.substring(output.lastIndexOf('\n') + 1));
        return new Transfer(report.path("bytes").asLong(), report.path("rows").asLong(), report.path("seconds").asDouble());
    }

    private static Optional<String> pyarrowVersion(String python) {
        try {
            Process process = new ProcessBuilder(List.of(python, "-c", "import pyarrow; print(pyarrow.__version__)"))
                    .redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (process.waitFor(60, TimeUnit.SECONDS) && process.exitValue() == 0) {
                return Optional.of(output);
            }
            return Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }
}
