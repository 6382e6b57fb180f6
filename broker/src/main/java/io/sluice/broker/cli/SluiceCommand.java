package io.sluice.broker.cli;

import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code sluice} command line. {@code ./sluice} runs it for every subcommand but demo, test, load, bench and help. */
@Command(name = "sluice",
        mixinStandardHelpOptions = true,
        versionProvider = SluiceCommand.Version.class,
        description = "A data-space broker: usage policies enforced on Arrow streams, with a tamper-evident audit log.",
        subcommands = {ServeCommand.class, AuditCommand.class, ReceiptCommand.class, CaCommand.class,
            CommandLine.HelpCommand.class})
public final class SluiceCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /**
     * The command line with Sluice's error handling: a {@link CliException} is one line and exit
     * code 2; a broker that cannot start ({@link StartupFailure}) is one line and exit code 1.
     */
    public static CommandLine commandLine() {
        return commandLine(System.getenv());
    }

    /**
     * The command line reading {@code serve}'s options also from {@code environment} (and the
     * configuration file it or {@code --config} names); tests give their own environment, since a
     * running JVM cannot change its own.
     */
    public static CommandLine commandLine(Map<String, String> environment) {
        CommandLine commandLine = new CommandLine(new SluiceCommand());
        commandLine.getSubcommands().get("serve").setDefaultValueProvider(ServeCommand.defaults(environment));
        commandLine.setParameterExceptionHandler(ConfigDefaults.explainingSources(commandLine.getParameterExceptionHandler()));
        commandLine.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof StartupFailure) {
                cmd.getErr().println("sluice: " + e.getMessage());
                return StartupFailure.EXIT_CODE;
            }
            if (e instanceof CliException || e instanceof IllegalArgumentException) {
                cmd.getErr().println("sluice: " + e.getMessage());
                return 2;
            }
            throw e;
        });
        return commandLine;
    }

    /** {@code --version}: the version the build wrote, the same one the health probes report. */
    public static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"sluice " + io.sluice.broker.BrokerVersion.get()};
        }
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required");
    }
}
