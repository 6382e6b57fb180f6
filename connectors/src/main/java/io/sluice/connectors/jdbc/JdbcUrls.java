package io.sluice.connectors.jdbc;

import io.sluice.connectors.ConnectorErrorCode;
import io.sluice.connectors.ConnectorException;
import io.sluice.connectors.SourceConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which JDBC URLs a source may use: PostgreSQL over the network and H2 servers, to hosts the
 * broker allows, with only harmless parameters.
 *
 * <p>Why parameters are checked: JDBC drivers turn URL parameters into behaviour. pgjdbc's
 * {@code socketFactory}, {@code sslfactory} or {@code authenticationPluginClassName} instantiate
 * classes, {@code loggerFile} writes files, {@code service} and {@code PGHOST} change the host; H2's
 * {@code INIT=RUNSCRIPT FROM ...} runs scripts and its embedded URLs open files on the broker's
 * disk. So only a short list of parameters passes, and only URLs that name their host.
 *
 * <p>Accepted:
 * <ul>
 *   <li>{@code jdbc:postgresql://HOST[:PORT][,HOST[:PORT]...]/DATABASE[?PARAMS]}</li>
 *   <li>{@code jdbc:h2:tcp://HOST[:PORT]/PATH[;SETTINGS]} and {@code jdbc:h2:ssl://...}</li>
 *   <li>{@code jdbc:h2:mem:NAME[;SETTINGS]}, only when the allowed hosts include the entry
 *       {@value #H2_MEMORY}: an in-memory database inside the broker's own JVM, for tests and demos</li>
 * </ul>
 * Host names are compared with the allowed ones ignoring case; no DNS lookup is made.
 */
final class JdbcUrls {
    private JdbcUrls() {}

    /** The allowed-hosts entry that permits in-memory H2 databases. */
    static final String H2_MEMORY = "h2:mem";

    private static final Set<String> POSTGRES_PARAMETERS = Set.of("user", "password", "ssl", "sslmode",
            "ApplicationName", "currentSchema", "tcpKeepAlive",
            "targetServerType", "loadBalanceHosts", "prepareThreshold", "defaultRowFetchSize", "binaryTransfer");
    /** pgjdbc lets URL parameters win over properties: in a URL these could turn the source's timeouts off. */
    private static final Set<String> TIMEOUT_PARAMETERS = Set.of("connectTimeout", "socketTimeout", "loginTimeout",
            "cancelSignalTimeout");
    private static final Set<String> H2_SETTINGS = Set.of("USER", "PASSWORD", "IFEXISTS", "DB_CLOSE_DELAY",
            "ACCESS_MODE_DATA", "MODE");
    private static final Pattern HOST = Pattern.compile("(\\[[0-9A-Fa-f:.]+]|[A-Za-z0-9._-]+)(?::(\\d{1,5}))?");
    private static final Pattern H2_MEMORY_NAME = Pattern.compile("[A-Za-z0-9_-]+");

    /** What a checked URL points at. */
    enum Kind { POSTGRESQL, H2 }

    /**
     * A checked URL.
     *
     * @param kind the database
     * @param hosts the hosts it names, lower case, without brackets
     * @param display the URL without its password, for messages
     */
    record Target(Kind kind, List<String> hosts, String display) {}

    /**
     * Checks {@code url} against the rules above and {@code allowedHosts}.
     *
     * @throws ConnectorException {@link ConnectorErrorCode#HOST_NOT_ALLOWED} for a host the broker
     *     does not allow; {@link ConnectorErrorCode#INVALID_SOURCE_CONFIG} for any other URL the rules
     *     refuse. Messages show the URL without its password.
     */
    static Target check(String url, Set<String> allowedHosts) {
        String display = SourceConfig.redactUrl(url);
        Target target;
        if (url.startsWith("jdbc:postgresql://")) {
            target = postgres(url, display);
        } else if (url.startsWith("jdbc:h2:mem:")) {
            target = h2Memory(url, display);
        } else if (url.startsWith("jdbc:h2:tcp://") || url.startsWith("jdbc:h2:ssl://")) {
            target = h2Server(url, display);
        } else if (url.startsWith("jdbc:postgresql:")) {
            throw invalid("url '" + display + "' does not name its host; write jdbc:postgresql://HOST[:PORT]/DATABASE");
        } else if (url.startsWith("jdbc:h2:")) {
            throw invalid("url '" + display + "' opens an embedded H2 database on the broker's disk, which is not"
                    + " allowed; use a PostgreSQL or H2 server (jdbc:h2:tcp://HOST/PATH)");
        } else {
            throw invalid("url '" + display + "' is not supported; use jdbc:postgresql://HOST[:PORT]/DATABASE or"
                    + " jdbc:h2:tcp://HOST[:PORT]/PATH");
        }
        for (String host : target.hosts()) {
            if (!allowedHosts.contains(host)) {
                throw new ConnectorException(ConnectorErrorCode.HOST_NOT_ALLOWED, "url '" + display + "' names host '"
                        + host + "', which this broker does not allow for jdbc sources"
                        + (allowedHosts.isEmpty() ? " (no hosts are allowed: jdbc sources are off)"
                        : "; ask its operator to allow it"));
            }
        }
        return target;
    }

    /** The allowed-hosts option: a comma list, lower-cased, brackets of IPv6 addresses removed. */
    static Set<String> allowedHosts(String option) {
        Set<String> hosts = new java.util.HashSet<>();
        for (String host : option.split(",")) {
            String trimmed = host.strip().toLowerCase(Locale.ROOT);
            if (trimmed.startsWith("[") && trimmed.endsWith("]")) {
                trimmed = trimmed.substring(1, trimmed.length() - 1);
            }
            if (!trimmed.isEmpty()) {
                hosts.add(trimmed);
            }
        }
        return Set.copyOf(hosts);
    }

    private static Target postgres(String url, String display) {
        String rest = url.substring("jdbc:postgresql://".length());
        int slash = rest.indexOf('/');
        if (slash < 0) {
            throw invalid("url '" + display + "' names no database; write jdbc:postgresql://HOST[:PORT]/DATABASE");
        }
        String authority = rest.substring(0, slash);
        List<String> hosts = hosts(authority, display);
        int question = rest.indexOf('?', slash);
        if (question >= 0) {
            for (String parameter : rest.substring(question + 1).split("&")) {
                if (parameter.isEmpty()) {
                    continue;
                }
                int equals = parameter.indexOf('=');
                String key = equals < 0 ? parameter : parameter.substring(0, equals);
                if (TIMEOUT_PARAMETERS.contains(key)) {
                    throw invalid("url '" + display + "' sets parameter '" + key + "'; give the source's timeouts as"
                            + " the options 'connectTimeout', 'queryTimeout' and 'socketTimeout' (seconds), which the"
                            + " broker bounds");
                }
                if (!POSTGRES_PARAMETERS.contains(key)) {
                    throw invalid("url '" + display + "' sets parameter '" + key + "', which jdbc sources do not allow;"
                            + " allowed: " + new java.util.TreeSet<>(POSTGRES_PARAMETERS));
                }
            }
        }
        return new Target(Kind.POSTGRESQL, hosts, display);
    }

    private static Target h2Memory(String url, String display) {
        String rest = url.substring("jdbc:h2:mem:".length());
        int semicolon = rest.indexOf(';');
        String name = semicolon < 0 ? rest : rest.substring(0, semicolon);
        if (!H2_MEMORY_NAME.matcher(name).matches()) {
            throw invalid("url '" + display + "' must name its in-memory database with letters, digits, '_' or '-'");
        }
        if (semicolon >= 0) {
            h2Settings(rest.substring(semicolon + 1), display);
        }
        return new Target(Kind.H2, List.of(H2_MEMORY), display);
    }

    private static Target h2Server(String url, String display) {
        String rest = url.substring("jdbc:h2:tcp://".length());
        int slash = rest.indexOf('/');
        if (slash < 0) {
            throw invalid("url '" + display + "' names no database; write jdbc:h2:tcp://HOST[:PORT]/PATH");
        }
        List<String> hosts = hosts(rest.substring(0, slash), display);
        if (hosts.size() != 1) {
            throw invalid("url '" + display + "' must name exactly one H2 server");
        }
        int semicolon = rest.indexOf(';', slash);
        if (semicolon >= 0) {
            h2Settings(rest.substring(semicolon + 1), display);
        }
        return new Target(Kind.H2, hosts, display);
    }

    private static void h2Settings(String settings, String display) {
        for (String setting : settings.split(";")) {
            if (setting.isEmpty()) {
                continue;
            }
            int equals = setting.indexOf('=');
            String key = (equals < 0 ? setting : setting.substring(0, equals)).strip().toUpperCase(Locale.ROOT);
            if (!H2_SETTINGS.contains(key)) {
                throw invalid("url '" + display + "' sets '" + key + "', which jdbc sources do not allow; allowed: "
                        + new java.util.TreeSet<>(H2_SETTINGS));
            }
        }
    }

    private static List<String> hosts(String authority, String display) {
        if (authority.isEmpty() || authority.contains("@")) {
            throw invalid("url '" + display + "' must name its host(s) as HOST[:PORT], without user or password"
                    + " (give those as the options 'user' and 'password')");
        }
        List<String> hosts = new ArrayList<>();
        for (String part : authority.split(",")) {
            Matcher matcher = HOST.matcher(part);
            if (!matcher.matches()) {
                throw invalid("url '" + display + "' names a host that is not HOST[:PORT]: '" + part + "'");
            }
            String host = matcher.group(1).toLowerCase(Locale.ROOT);
            if (host.startsWith("[")) {
                host = host.substring(1, host.length() - 1);
            }
            hosts.add(host);
        }
        return List.copyOf(hosts);
    }

    private static ConnectorException invalid(String problem) {
        return new ConnectorException(ConnectorErrorCode.INVALID_SOURCE_CONFIG, "source type 'jdbc': " + problem);
    }
}
