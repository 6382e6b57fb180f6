package io.sluice.connectors.jdbc;

import io.sluice.connectors.SourceOptions;
import java.util.Properties;

/**
 * How long each step of a JDBC source may wait for its database, in seconds. Without them a slow
 * or hostile database holds the broker's thread for as long as it likes: a registration whose
 * version query sleeps blocks a worker, and enough of them stop the broker answering anyone.
 *
 * <ul>
 *   <li>{@code connectTimeout} (default {@value #DEFAULT_CONNECT}): opening the connection, the TCP
 *       connect and the login together (pgjdbc {@code connectTimeout} and {@code loginTimeout}).</li>
 *   <li>{@code queryTimeout} (default {@value #DEFAULT_QUERY}): each query run whole before an
 *       answer is given — describing the rows, the version query ({@code versionColumn}'s
 *       {@code MAX}/{@code COUNT} or {@code snapshotQuery}) at registration and again at every
 *       stream's start, and the per-unit row counts a sharded stream plans with
 *       ({@link java.sql.Statement#setQueryTimeout}; the database cancels the query).</li>
 *   <li>{@code socketTimeout} (default {@value #DEFAULT_SOCKET}): a stream's cursor. Its query must
 *       start answering within it, and every later fetch of {@code fetchSize} rows too (pgjdbc's
 *       {@code socketTimeout}: the longest wait on one read from the database). It counts only while
 *       the broker waits for the database, never while a slow consumer keeps the broker from
 *       fetching, so a slow reader is never cut by it. It also bounds every other read, and must be
 *       at least {@code queryTimeout}, so that a query is cancelled (a clear error) before its
 *       connection is dropped.</li>
 * </ul>
 *
 * <p>A step that runs out of time fails with
 * {@link io.sluice.connectors.ConnectorErrorCode#SOURCE_TIMED_OUT} naming the option. The owner may
 * shorten or lengthen each within its bounds; the bounds keep one source from holding a thread for
 * longer than an operator would expect.
 *
 * @param connectSeconds the bound on opening a connection
 * @param querySeconds the bound on one query run whole before it answers
 * @param socketSeconds the bound on one wait for a stream's rows
 */
record JdbcTimeouts(int connectSeconds, int querySeconds, int socketSeconds) {
    static final String CONNECT_TIMEOUT = "connectTimeout";
    static final String QUERY_TIMEOUT = "queryTimeout";
    static final String SOCKET_TIMEOUT = "socketTimeout";
    static final int DEFAULT_CONNECT = 10;
    static final int DEFAULT_QUERY = 30;
    static final int DEFAULT_SOCKET = 300;
    static final int MAX_CONNECT = 60;
    static final int MAX_QUERY = 600;
    static final int MAX_SOCKET = 3600;
    static final JdbcTimeouts DEFAULTS = new JdbcTimeouts(DEFAULT_CONNECT, DEFAULT_QUERY, DEFAULT_SOCKET);

    JdbcTimeouts {
        check(CONNECT_TIMEOUT, connectSeconds, MAX_CONNECT);
        check(QUERY_TIMEOUT, querySeconds, MAX_QUERY);
        check(SOCKET_TIMEOUT, socketSeconds, MAX_SOCKET);
        if (socketSeconds < querySeconds) {
            throw JdbcOptions.invalid("option 'socketTimeout' (" + socketSeconds + " s) must be at least 'queryTimeout' ("
                    + querySeconds + " s): a slow query is cancelled with a clear error before its connection is dropped");
        }
    }

    /** The timeouts the options set, the defaults for the rest. */
    static JdbcTimeouts of(SourceOptions options) {
        return new JdbcTimeouts(
                options.intValue(CONNECT_TIMEOUT, DEFAULT_CONNECT, 1, MAX_CONNECT),
                options.intValue(QUERY_TIMEOUT, DEFAULT_QUERY, 1, MAX_QUERY),
                options.intValue(SOCKET_TIMEOUT, DEFAULT_SOCKET, 1, MAX_SOCKET));
    }

    /**
     * Sets pgjdbc's connection properties. The URL may not set them (see {@link JdbcUrls}): pgjdbc
     * lets URL parameters win over properties, so a URL with {@code socketTimeout=0} would turn the
     * bound off.
     */
    void applyToPostgres(Properties properties) {
        properties.setProperty("connectTimeout", Integer.toString(connectSeconds));
        properties.setProperty("loginTimeout", Integer.toString(connectSeconds));
        properties.setProperty("socketTimeout", Integer.toString(socketSeconds));
    }

    private static void check(String option, int seconds, int max) {
        if (seconds < 1 || seconds > max) {
            throw JdbcOptions.invalid("option '" + option + "' must be between 1 and " + max + " seconds, was " + seconds);
        }
    }
}
