package io.sluice.connectors.jdbc;

import io.sluice.connectors.ConnectorErrorCode;
import io.sluice.connectors.ConnectorException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Checks on the SQL text a data owner gives: one read-only {@code SELECT} (or {@code WITH ... SELECT})
 * statement, and table names that are identifiers.
 *
 * <p>These checks are defence in depth, not the guard: a quoted identifier ({@code "pg_read_file"})
 * is a name this lexer skips, and no list of words can know every function a database offers. The
 * guard is the database: a source runs as a role that may read only what it should (the README says
 * how to create one), in a session whose transactions are all {@code READ ONLY} and rolled back,
 * which PostgreSQL enforces whatever the text says. The lexer knows PostgreSQL's and H2's literals: {@code '...'} (with {@code ''}),
 * {@code E'...'} (with backslash escapes), dollar quotes {@code $tag$...$tag$}, quoted identifiers
 * {@code "..."}, line comments and nested block comments.
 */
final class SqlText {
    private SqlText() {}

    /** Words that never belong in a read-only query (outside literals and quoted identifiers). */
    private static final Set<String> FORBIDDEN = Set.of("INSERT", "UPDATE", "DELETE", "MERGE", "UPSERT", "CREATE",
            "DROP", "ALTER", "TRUNCATE", "GRANT", "REVOKE", "COPY", "CALL", "DO", "EXECUTE", "EXEC", "LOCK", "VACUUM",
            "ANALYZE", "CLUSTER", "REINDEX", "REFRESH", "SET", "RESET", "LISTEN", "NOTIFY", "UNLISTEN", "PREPARE",
            "DEALLOCATE", "DISCARD", "INTO", "COMMIT", "ROLLBACK", "SAVEPOINT", "BEGIN", "START", "SHUTDOWN",
            "RUNSCRIPT", "SCRIPT", "BACKUP", "CHECKPOINT", "CSVWRITE", "FILE_WRITE", "FILE_READ", "CSVREAD",
            "LINK_SCHEMA", "LO_IMPORT", "LO_EXPORT", "PG_READ_FILE", "PG_READ_BINARY_FILE", "PG_LS_DIR",
            "DBLINK", "DBLINK_EXEC", "SET_CONFIG", "PG_SLEEP", "PG_TERMINATE_BACKEND", "PG_CANCEL_BACKEND");
    private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_$]*");

    /**
     * Checks that {@code sql} is a single {@code SELECT} or {@code WITH} statement without words
     * that write, lock, change settings or touch files, and returns it without a trailing semicolon.
     *
     * @param what the option it came from, for messages ({@code query}, {@code snapshotQuery})
     * @throws ConnectorException {@link ConnectorErrorCode#QUERY_NOT_ALLOWED} naming the rule broken
     */
    static String checkSelect(String sql, String what) {
        List<String> words = new ArrayList<>();
        int end = scan(sql, what, words);
        if (words.isEmpty()) {
            throw notAllowed(what + " is empty");
        }
        String first = words.getFirst();
        if (!first.equals("SELECT") && !first.equals("WITH")) {
            throw notAllowed(what + " must be one SELECT (or WITH ... SELECT) statement; it starts with " + first);
        }
        for (String word : words) {
            if (FORBIDDEN.contains(word)) {
                throw notAllowed(what + " uses " + word + ", which a read-only query may not");
            }
        }
        return sql.substring(0, end).strip();
    }

    /**
     * A table name {@code [schema.]table} whose parts are plain identifiers or double-quoted ones,
     * returned ready for a {@code FROM} clause (plain parts stay unquoted, so the database folds
     * their case as it always does).
     *
     * @throws ConnectorException {@link ConnectorErrorCode#INVALID_SOURCE_CONFIG} otherwise
     */
    static String tableName(String table) {
        List<String> parts = new ArrayList<>();
        int i = 0;
        int length = table.length();
        while (i <= length) {
            if (i < length && table.charAt(i) == '"') {
                int close = i + 1;
                StringBuilder part = new StringBuilder("\"");
                while (true) {
                    int quote = table.indexOf('"', close);
                    if (quote < 0) {
                        throw invalidTable(table);
                    }
                    part.append(table, close, quote);
                    if (quote + 1 < length && table.charAt(quote + 1) == '"') {
                        part.append("\"\"");
                        close = quote + 2;
                        continue;
                    }
                    part.append('"');
                    i = quote + 1;
                    break;
                }
                if (part.length() == 2) {
                    throw invalidTable(table);
                }
                parts.add(part.toString());
            } else {
                int dot = table.indexOf('.', i);
                String plain = table.substring(i, dot < 0 ? length : dot);
                if (!IDENTIFIER.matcher(plain).matches()) {
                    throw invalidTable(table);
                }
                parts.add(plain);
                i = dot < 0 ? length : dot;
            }
            if (i == length) {
                break;
            }
            if (table.charAt(i) != '.') {
                throw invalidTable(table);
            }
            i++;
        }
        if (parts.isEmpty() || parts.size() > 3) {
            throw invalidTable(table);
        }
        return String.join(".", parts);
    }

    /** {@code name} as a double-quoted identifier. */
    static String quote(String name) {
        return '"' + name.replace("\"", "\"\"") + '"';
    }

    /**
     * Collects the upper-cased words outside literals, comments and quoted identifiers, and
     * returns where the statement ends (before a trailing semicolon); refuses a second statement.
     */
    private static int scan(String sql, String what, List<String> words) {
        int i = 0;
        int n = sql.length();
        int end = -1;
        while (i < n) {
            char c = sql.charAt(i);
            if (end >= 0 && !Character.isWhitespace(c) && c != ';' && !sql.startsWith("--", i) && !sql.startsWith("/*", i)) {
                throw notAllowed(what + " holds more than one statement");
            }
            if (Character.isWhitespace(c)) {
                i++;
            } else if (sql.startsWith("--", i)) {
                int newline = sql.indexOf('\n', i);
                i = newline < 0 ? n : newline + 1;
            } else if (sql.startsWith("/*", i)) {
                i = blockComment(sql, i, what);
            } else if (c == ';') {
                if (end < 0) {
                    end = i;
                }
                i++;
            } else if (c == '\'') {
                i = quoted(sql, i, '\'', what, false);
            } else if ((c == 'E' || c == 'e') && i + 1 < n && sql.charAt(i + 1) == '\'') {
                i = quoted(sql, i + 1, '\'', what, true);
            } else if (c == '"') {
                i = quoted(sql, i, '"', what, false);
            } else if (c == '$' && dollarTag(sql, i) != null) {
                String tag = dollarTag(sql, i);
                int close = sql.indexOf(tag, i + tag.length());
                if (close < 0) {
                    throw notAllowed(what + " has a dollar-quoted string that is never closed");
                }
                i = close + tag.length();
            } else if (Character.isLetter(c) || c == '_') {
                int start = i;
                while (i < n && (Character.isLetterOrDigit(sql.charAt(i)) || sql.charAt(i) == '_'
                        || sql.charAt(i) == '$')) {
                    i++;
                }
                words.add(sql.substring(start, i).toUpperCase(Locale.ROOT));
            } else {
                i++;
            }
        }
        return end < 0 ? n : end;
    }

    private static int blockComment(String sql, int start, String what) {
        int depth = 0;
        int i = start;
        while (i < sql.length()) {
            if (sql.startsWith("/*", i)) {
                depth++;
                i += 2;
            } else if (sql.startsWith("*/", i)) {
                depth--;
                i += 2;
                if (depth == 0) {
                    return i;
                }
            } else {
                i++;
            }
        }
        throw notAllowed(what + " has a comment that is never closed");
    }

    private static int quoted(String sql, int start, char quote, String what, boolean backslashEscapes) {
        int i = start + 1;
        while (i < sql.length()) {
            char c = sql.charAt(i);
            if (backslashEscapes && c == '\\') {
                i += 2;
                continue;
            }
            if (c == quote) {
                if (i + 1 < sql.length() && sql.charAt(i + 1) == quote) {
                    i += 2;
                    continue;
                }
                return i + 1;
            }
            i++;
        }
        throw notAllowed(what + " has a " + (quote == '"' ? "quoted identifier" : "string") + " that is never closed");
    }

    /** The dollar-quote tag ({@code $$} or {@code $name$}) starting at {@code i}, or null. */
    private static String dollarTag(String sql, int i) {
        int j = i + 1;
        while (j < sql.length() && (Character.isLetterOrDigit(sql.charAt(j)) || sql.charAt(j) == '_')) {
            j++;
        }
        if (j < sql.length() && sql.charAt(j) == '$' && (j == i + 1 || !Character.isDigit(sql.charAt(i + 1)))) {
            return sql.substring(i, j + 1);
        }
        return null;
    }

    private static ConnectorException notAllowed(String problem) {
        return new ConnectorException(ConnectorErrorCode.QUERY_NOT_ALLOWED, "source type 'jdbc': option " + problem);
    }

    private static ConnectorException invalidTable(String table) {
        return new ConnectorException(ConnectorErrorCode.INVALID_SOURCE_CONFIG, "source type 'jdbc': option 'table' must"
                + " be [schema.]table made of identifiers or double-quoted names, was '" + table + "'");
    }
}
