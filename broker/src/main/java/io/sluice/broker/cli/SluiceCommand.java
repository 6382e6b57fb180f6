package io.sluice.broker.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code sluice} command line. {@code ./sluice} runs it for every subcommand but demo and test. */
@Command(name = "sluice",
        mixinStandardHelpOptions = true,
        version = "sluice 0.1.0",
        description = "A data-space broker: usage policies enforced on Arrow streams, with a tamper-evident audit log.",
        subcommands = {ServeCommand.class, CommandLine.HelpCommand.class})
public final class SluiceCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(new CommandLine(new SluiceCommand()).execute(args));
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required");
    }
}
