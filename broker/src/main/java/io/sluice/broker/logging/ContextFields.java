package io.sluice.broker.logging;

import ch.qos.logback.classic.spi.ILoggingEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** An event's MDC fields in the order the layouts write them: {@link LogFields#ORDER}, then the rest by name. */
final class ContextFields {
    private ContextFields() {}

    static List<Map.Entry<String, String>> of(ILoggingEvent event) {
        Map<String, String> mdc = event.getMDCPropertyMap();
        if (mdc == null || mdc.isEmpty()) {
            return List.of();
        }
        List<Map.Entry<String, String>> fields = new ArrayList<>(mdc.size());
        for (String key : LogFields.ORDER) {
            String value = mdc.get(key);
            if (value != null) {
                fields.add(Map.entry(key, value));
            }
        }
        new TreeMap<>(mdc).forEach((key, value) -> {
            if (value != null && !LogFields.ORDER.contains(key)) {
                fields.add(Map.entry(key, value));
            }
        });
        return fields;
    }
}
