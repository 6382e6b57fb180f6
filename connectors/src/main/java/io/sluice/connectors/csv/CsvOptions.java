package io.sluice.connectors.csv;

import io.sluice.connectors.SourceConfig;
import io.sluice.connectors.SourceOptions;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The options of a CSV source, parsed and checked.
 *
 * @param header true or false, or empty to detect it
 * @param delimiter the field separator byte
 * @param quote the quote byte
 * @param types type overrides by column name, in the order given
 * @param skipMalformed {@code onError=skip}: skip and count malformed rows instead of failing
 * @param sampleRows how many records type inference reads
 * @param maxRecordBytes the longest record accepted
 * @param maxBatchBytes the bound on one scan's Arrow memory
 */
record CsvOptions(Optional<Boolean> header, byte delimiter, byte quote, Map<String, CsvType> types,
        boolean skipMalformed, int sampleRows, int maxRecordBytes, long maxBatchBytes) {

    static final String HEADER = "header";
    static final String DELIMITER = "delimiter";
    static final String QUOTE = "quote";
    static final String TYPES = "types";
    static final String ON_ERROR = "onError";
    static final String SAMPLE_ROWS = "sampleRows";
    static final String MAX_RECORD_BYTES = "maxRecordBytes";
    static final Set<String> KEYS = Set.of(HEADER, DELIMITER, QUOTE, TYPES, ON_ERROR, SAMPLE_ROWS, MAX_RECORD_BYTES);

    CsvOptions {
        types = Map.copyOf(types);
    }

    /** Defaults: header detected, comma, double quote, no overrides, reject, 10,000 sample rows, 16 MiB records. */
    static CsvOptions defaults() {
        return new CsvOptions(Optional.empty(), (byte) ',', (byte) '"', Map.of(), false, 10_000, 16 * 1024 * 1024,
                SourceOptions.DEFAULT_MAX_BATCH_BYTES);
    }

    static CsvOptions of(SourceConfig config) {
        SourceOptions options = SourceOptions.of(config, KEYS);
        String type = config.type();
        String header = options.choice(HEADER, "auto", Set.of("true", "false", "auto"));
        byte delimiter = singleByte(type, DELIMITER, options.string(DELIMITER).orElse(","));
        byte quote = singleByte(type, QUOTE, options.string(QUOTE).orElse("\""));
        if (delimiter == quote || delimiter == '\n' || delimiter == '\r' || quote == '\n' || quote == '\r') {
            throw SourceOptions.invalid(type, "options 'delimiter' and 'quote' must differ from each other and from"
                    + " line breaks");
        }
        Map<String, CsvType> types = new LinkedHashMap<>();
        for (String entry : options.string(TYPES).orElse("").split(",")) {
            if (entry.isBlank()) {
                continue;
            }
            int colon = entry.lastIndexOf(':');
            if (colon <= 0) {
                throw SourceOptions.invalid(type, "option 'types' must list name:type pairs separated by commas, e.g."
                        + " 'age:int64,visit:date'; '" + entry.strip() + "' is not one");
            }
            String name = entry.substring(0, colon).strip();
            String typeName = entry.substring(colon + 1).strip();
            CsvType csvType = CsvType.named(typeName).orElseThrow(() -> SourceOptions.invalid(type, "option 'types'"
                    + " names unknown type '" + typeName + "' for column '" + name
                    + "'; known: boolean, int32, int64, double, date, timestamp, timestamptz, utf8"));
            if (types.put(name, csvType) != null) {
                throw SourceOptions.invalid(type, "option 'types' names column '" + name + "' twice");
            }
        }
        boolean skip = options.choice(ON_ERROR, "reject", Set.of("reject", "skip")).equals("skip");
        int sampleRows = options.intValue(SAMPLE_ROWS, 10_000, 1, 10_000_000);
        int maxRecordBytes = options.intValue(MAX_RECORD_BYTES, 16 * 1024 * 1024, 1024, 1024 * 1024 * 1024);
        return new CsvOptions(header.equals("auto") ? Optional.empty() : Optional.of(header.equals("true")),
                delimiter, quote, types, skip, sampleRows, maxRecordBytes, options.maxBatchBytes());
    }

    private static byte singleByte(String type, String key, String value) {
        String text = switch (value) {
            case "\\t", "tab", "TAB" -> "\t";
            default -> value;
        };
        if (text.length() != 1 || text.charAt(0) > 0x7F) {
            throw SourceOptions.invalid(type, "option '" + key + "' must be one ASCII character (or 'tab'), was '"
                    + value + "'");
        }
        return (byte) text.charAt(0);
    }
}
