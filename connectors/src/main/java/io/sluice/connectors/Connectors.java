package io.sluice.connectors;

import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;

/** The connector factories found on the class path, by name. */
public final class Connectors {
    private final Map<String, ConnectorFactory> factories;

    private Connectors(Map<String, ConnectorFactory> factories) {
        this.factories = Map.copyOf(factories);
    }

    /** Every {@link ConnectorFactory} registered through {@link ServiceLoader}. */
    public static Connectors discover() {
        return new Connectors(ServiceLoader.load(ConnectorFactory.class).stream()
                .map(ServiceLoader.Provider::get)
                .collect(Collectors.toMap(ConnectorFactory::name, Function.identity(),
                        (a, b) -> {
                            throw new IllegalStateException("two connector factories named '" + a.name() + "'");
                        },
                        TreeMap::new)));
    }

    public ConnectorFactory factory(String type) {
        ConnectorFactory factory = factories.get(type);
        if (factory == null) {
            throw new ConnectorException(ConnectorErrorCode.UNKNOWN_SOURCE_TYPE,
                    "unknown source type '" + type + "'; known: " + factories.keySet());
        }
        return factory;
    }

    /** Opens a source with the factory its config names; the caller closes it. */
    public BatchSource open(SourceConfig config) {
        return factory(config.type()).create(config);
    }
}
