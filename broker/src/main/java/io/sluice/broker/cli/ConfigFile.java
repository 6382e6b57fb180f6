package io.sluice.broker.cli;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeType;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * A configuration file of {@code sluice serve --config FILE}: YAML ({@code .yaml}, {@code .yml}) or
 * Java properties ({@code .properties}), a flat map from an option's name without its dashes
 * ({@code port}, {@code data-dir}) to a value. A list value (YAML sequence) is kept as a list; a
 * comma-separated string is left to the option to split.
 *
 * @param path the file, as given
 * @param values the file's keys in their order, each to a String or a List of Strings; an empty
 *     value (YAML {@code key:} or {@code key: ""}, properties {@code key=}) is an empty String, which
 *     counts as not set
 */
record ConfigFile(Path path, Map<String, Object> values) {

    ConfigFile {
        requireNonNull(path, "path is null");
        values = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(requireNonNull(values, "values is null")));
    }

    /** Reads the file; its format is told by its name's ending. */
    static ConfigFile read(Path path) {
        String name = path.getFileName() == null ? "" : path.getFileName().toString().toLowerCase(Locale.ROOT);
        if (!Files.isRegularFile(path)) {
            throw new ConfigException("configuration file " + path + " does not exist or is not a regular file");
        }
        try {
            if (name.endsWith(".yaml") || name.endsWith(".yml")) {
                return new ConfigFile(path, yaml(path));
            }
            if (name.endsWith(".properties")) {
                return new ConfigFile(path, properties(path));
            }
        } catch (IOException e) {
            throw new ConfigException("cannot read configuration file " + path + ": " + e.getMessage());
        }
        throw new ConfigException("configuration file " + path + " must end in .yaml, .yml or .properties");
    }

    private static Map<String, Object> yaml(Path path) throws IOException {
        // A key written twice is a mistake to report, not a value to pick silently.
        JsonNode root = new ObjectMapper(YAMLFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build())
                .readTree(path.toFile());
        Map<String, Object> values = new LinkedHashMap<>();
        if (root == null || root.isMissingNode() || root.isNull()) {
            return values;
        }
        if (!root.isObject()) {
            throw new ConfigException(path + " must hold a map of keys to values, e.g. 'port: 8470'");
        }
        for (var entry : root.properties()) {
            String key = entry.getKey();
            JsonNode node = entry.getValue();
            if (node.isArray()) {
                List<String> items = new ArrayList<>();
                for (JsonNode item : node) {
                    if (!item.isValueNode() || item.isNull()) {
                        throw new ConfigException(path + ": key '" + key + "' must be a list of plain values");
                    }
                    items.add(item.asText());
                }
                values.put(key, List.copyOf(items));
            } else if (node.getNodeType() == JsonNodeType.OBJECT) {
                throw new ConfigException(path + ": key '" + key + "' must be a value or a list, not a map"
                        + " (keys are the options' names, e.g. 'data-dir', never nested)");
            } else {
                values.put(key, node.isNull() ? "" : node.asText());
            }
        }
        return values;
    }

    private static Map<String, Object> properties(Path path) throws IOException {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
            properties.load(reader);
        }
        Map<String, Object> values = new LinkedHashMap<>();
        properties.stringPropertyNames().stream().sorted()
                .forEach(key -> values.put(key, properties.getProperty(key).strip()));
        return values;
    }

    /** A configuration file that cannot be read or holds something no option takes. */
    static final class ConfigException extends RuntimeException {
        ConfigException(String message) {
            super(message);
        }
    }
}
