package io.sluice.broker;

import io.sluice.broker.cli.SluiceCommand;
import java.io.PrintWriter;
import java.io.StringWriter;

/** Runs the {@code sluice} command line in-process, as a user would, capturing what it prints. */
public final class TestCli {
    private TestCli() {}

    /** What a run printed (standard output and error together) and its exit code. */
    public record Result(int exitCode, String output) {}

    public static Result run(String... args) {
        StringWriter out = new StringWriter();
        var commandLine = SluiceCommand.commandLine();
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(out, true));
        int exitCode = commandLine.execute(args);
        return new Result(exitCode, out.toString());
    }
}
