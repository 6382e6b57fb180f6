package io.sluice.broker.cli;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

/**
 * Default values of a command's options from the environment and a configuration file: picocli asks
 * this provider for every option not given on the command line, and its answer takes the place of
 * the option's annotated {@code defaultValue}. So the order is: command line, then the environment,
 * then the file, then the annotation.
 *
 * <p>Names follow the option's longest name, so every option is covered without a list:
 * {@code --data-dir} is the key {@code data-dir} in the file and the environment variable
 * {@code SLUICE_DATA_DIR}. The file is the one given with the command's configuration option
 * ({@code --config FILE} or {@code --config=FILE}, read from picocli's parse result at each lookup:
 * picocli asks for defaults after it has parsed the command line) or, without it,
 * {@code SLUICE_CONFIG}; each file is read once. A key of the file that names no option is an error naming the closest
 * one; an environment variable that names no option is not (other tools read {@code SLUICE_*}
 * variables too) and is only logged at debug level. An empty value, in the file or the
 * environment, counts as not set.
 *
 * <p>Where each value came from is remembered ({@link #sourceOf}), so that a value that does not
 * convert can be reported with its origin ({@link #explainingSources}) and
 * {@code serve --print-config} can show it.
 *
 * <p>Not thread-safe beyond what picocli needs: one provider serves one parse at a time.
 */
public final class ConfigDefaults implements CommandLine.IDefaultValueProvider {
    public static final String ENVIRONMENT_PREFIX = "SLUICE_";
    private static final Logger LOG = LoggerFactory.getLogger(ConfigDefaults.class);
    /** A split regex that is its own literal text (",", ";"), so a list can be joined with it. */
    private static final Pattern LITERAL_SEPARATOR = Pattern.compile("[^\\\\.\\[\\]{}()*+?^$|]+");

    private final Map<String, String> environment;
    private final String configOption;
    private final Set<String> commandLineOnly;
    private final Map<Path, ConfigFile> files = new ConcurrentHashMap<>();
    private final Map<String, String> sources = new ConcurrentHashMap<>();
    private volatile boolean environmentChecked;

    /**
     * @param environment the process environment ({@code System.getenv()}), a map so tests can give their own
     * @param configOption the option naming the configuration file, e.g. {@code --config}; its own
     *     default comes from the environment only
     * @param commandLineOnly options never read from the environment or the file (e.g. {@code --print-config});
     *     the help and version options never are either
     */
    public ConfigDefaults(Map<String, String> environment, String configOption, Set<String> commandLineOnly) {
        this.environment = Map.copyOf(requireNonNull(environment, "environment is null"));
        this.configOption = requireNonNull(configOption, "configOption is null");
        this.commandLineOnly = Set.copyOf(requireNonNull(commandLineOnly, "commandLineOnly is null"));
    }

    /** The file key of an option: its longest name without the leading dashes ({@code --data-dir}: {@code data-dir}). */
    public static String key(OptionSpec option) {
        return option.longestName().replaceFirst("^-+", "");
    }

    /** The environment variable of an option: {@code --data-dir}: {@code SLUICE_DATA_DIR}. */
    public static String environmentVariable(OptionSpec option) {
        return ENVIRONMENT_PREFIX + key(option).toUpperCase(Locale.ROOT).replace('-', '_');
    }

    @Override
    public String defaultValue(ArgSpec arg) {
        if (!(arg instanceof OptionSpec option) || !configurable(option)) {
            return null;
        }
        CommandSpec command = option.command();
        ParseResult parsed = command.commandLine() == null ? null : command.commandLine().getParseResult();
        if (parsed != null && givenOnCommandLine(option, parsed)) {
            return null;
        }
        try {
            return lookUp(option, command, parsed);
        } catch (InvalidConfiguration e) {
            // A broken file must not stand between an operator and the help that explains the file.
            if (parsed != null && (parsed.isUsageHelpRequested() || parsed.isVersionHelpRequested())) {
                return null;
            }
            throw e;
        }
    }

    private String lookUp(OptionSpec option, CommandSpec command, ParseResult parsed) {
        checkEnvironmentOnce(command);
        String variable = environmentVariable(option);
        String fromEnvironment = environment.get(variable);
        if (fromEnvironment != null && !fromEnvironment.isEmpty()) {
            sources.put(option.longestName(), "environment variable " + variable);
            return fromEnvironment;
        }
        if (option.longestName().equals(configOption)) {
            return null;
        }
        Optional<ConfigFile> file = configFile(command, parsed);
        if (file.isEmpty()) {
            return null;
        }
        Object value = file.get().values().get(key(option));
        if (value == null || "".equals(value)) {
            return null;
        }
        sources.put(option.longestName(), file.get().path() + ", key '" + key(option) + "'");
        if (value instanceof List<?> items) {
            return joined(option, file.get(), items);
        }
        return (String) value;
    }

    /**
     * Where the value an option got from this provider came from ("environment variable
     * SLUICE_PORT", "sluice.yaml, key 'port'"); empty when it got none (given on the command line,
     * or the annotation's default).
     */
    public Optional<String> sourceOf(OptionSpec option) {
        return Optional.ofNullable(sources.get(option.longestName()));
    }

    /**
     * Wraps a parameter exception handler so that a value from the environment or the file that
     * does not convert is reported with where it came from, and a broken configuration file is one
     * line without the usage text (which would not help).
     */
    public static CommandLine.IParameterExceptionHandler explainingSources(CommandLine.IParameterExceptionHandler handler) {
        requireNonNull(handler, "handler is null");
        return (exception, args) -> {
            CommandLine commandLine = exception.getCommandLine();
            if (exception instanceof InvalidConfiguration) {
                commandLine.getErr().println("sluice: " + exception.getMessage());
                return 2;
            }
            if (commandLine.getCommandSpec().defaultValueProvider() instanceof ConfigDefaults defaults
                    && exception.getArgSpec() instanceof OptionSpec option
                    && !givenOnCommandLine(option, commandLine.getParseResult())) {
                Optional<String> source = defaults.sourceOf(option);
                if (source.isPresent()) {
                    commandLine.getErr().println("sluice: " + exception.getMessage() + " (from " + source.get() + ")");
                    return 2;
                }
            }
            return handler.handleParseException(exception, args);
        };
    }

    private boolean configurable(OptionSpec option) {
        return !option.usageHelp() && !option.versionHelp() && !commandLineOnly.contains(option.longestName());
    }

    /**
     * Whether the option is on the command line. picocli asks for a boolean flag's default while it
     * parses that flag, to set the flag to the default's opposite; the flag is not yet among the
     * matched options then, so the arguments themselves are looked at, or a {@code SLUICE_X=true}
     * would turn {@code --x} off.
     */
    private static boolean givenOnCommandLine(OptionSpec option, ParseResult parsed) {
        if (parsed == null) {
            return false;
        }
        if (parsed.hasMatchedOption(option)) {
            return true;
        }
        if (option.arity().max() > 0) {
            return false;
        }
        List<String> names = option.negatable()
                ? java.util.stream.Stream.concat(List.of(option.names()).stream(),
                        List.of(option.names()).stream().map(name -> option.command().negatableOptionTransformer()
                                .makeNegative(name, option.command()))).toList()
                : List.of(option.names());
        return parsed.originalArgs().stream().anyMatch(arg -> names.stream()
                .anyMatch(name -> arg.equals(name) || arg.startsWith(name + "=")));
    }

    private Optional<ConfigFile> configFile(CommandSpec command, ParseResult parsed) {
        OptionSpec option = command.findOption(configOption);
        if (option == null) {
            return Optional.empty();
        }
        String given = null;
        if (parsed != null && parsed.hasMatchedOption(option)) {
            given = parsed.matchedOption(configOption).stringValues().getFirst();
        } else {
            String fromEnvironment = environment.get(environmentVariable(option));
            if (fromEnvironment != null && !fromEnvironment.isEmpty()) {
                given = fromEnvironment;
            }
        }
        if (given == null) {
            return Optional.empty();
        }
        Path path = Path.of(given);
        return Optional.of(files.computeIfAbsent(path, p -> checked(read(command, p), command)));
    }

    private static ConfigFile read(CommandSpec command, Path path) {
        try {
            return ConfigFile.read(path);
        } catch (ConfigFile.ConfigException e) {
            throw new InvalidConfiguration(command.commandLine(), e.getMessage());
        }
    }

    /** Every key must name an option: a misspelt key would otherwise be ignored without a word. */
    private ConfigFile checked(ConfigFile file, CommandSpec command) {
        Map<String, OptionSpec> known = knownKeys(command);
        for (String key : file.values().keySet()) {
            if (!known.containsKey(key)) {
                String hint = key.equals(key(command.findOption(configOption)))
                        ? " (a configuration file cannot name another one)"
                        : closest(key, known.keySet()).map(name -> " (did you mean '" + name + "'?)").orElse("");
                throw new InvalidConfiguration(command.commandLine(),
                        file.path() + ": unknown key '" + key + "'" + hint);
            }
        }
        return file;
    }

    private Map<String, OptionSpec> knownKeys(CommandSpec command) {
        Map<String, OptionSpec> known = new LinkedHashMap<>();
        for (OptionSpec option : command.options()) {
            if (configurable(option) && !option.longestName().equals(configOption)) {
                known.put(key(option), option);
            }
        }
        return known;
    }

    /** A YAML list for a multi-value option is joined with the option's separator, which picocli splits again. */
    private static String joined(OptionSpec option, ConfigFile file, List<?> items) {
        String split = option.splitRegex();
        if (!option.isMultiValue() || split == null || !LITERAL_SEPARATOR.matcher(split).matches()) {
            throw new InvalidConfiguration(option.command().commandLine(),
                    file.path() + ": key '" + key(option) + "' takes one value, not a list");
        }
        return String.join(split, items.stream().map(String::valueOf).toList());
    }

    /** Lists, at debug level, the SLUICE_ variables that name no option of this command (they may be another tool's). */
    private void checkEnvironmentOnce(CommandSpec command) {
        if (environmentChecked) {
            return;
        }
        environmentChecked = true;
        if (!LOG.isDebugEnabled()) {
            return;
        }
        Set<String> ours = new TreeSet<>();
        command.options().forEach(option -> ours.add(environmentVariable(option)));
        environment.keySet().stream().filter(name -> name.startsWith(ENVIRONMENT_PREFIX) && !ours.contains(name))
                .sorted().forEach(name -> LOG.debug("environment variable {} names no option of '{}'; ignored by it",
                        name, command.qualifiedName()));
    }

    /** The known key nearest to a misspelt or shortened one, if any is near enough to be what was meant. */
    static Optional<String> closest(String key, Set<String> known) {
        return known.stream()
                .map(name -> Map.entry(name, editDistance(key, name)))
                .filter(entry -> entry.getValue() <= Math.max(2, key.length() / 3) || entry.getKey().startsWith(key))
                .min(Comparator.<Map.Entry<String, Integer>>comparingInt(Map.Entry::getValue).thenComparing(Map.Entry::getKey))
                .map(Map.Entry::getKey);
    }

    /** Levenshtein distance: insertions, deletions and substitutions that turn {@code a} into {@code b}. */
    private static int editDistance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }

    /** A configuration file that cannot be read or names something no option takes. */
    static final class InvalidConfiguration extends CommandLine.ParameterException {
        InvalidConfiguration(CommandLine commandLine, String message) {
            super(commandLine, message);
        }
    }
}
