package io.sluice.broker.service;

import io.sluice.broker.BrokerErrorCode;
import io.sluice.broker.BrokerException;
import java.nio.file.Path;
import java.util.regex.Pattern;

/** Organisation names, which also name each organisation's source directory. */
public final class Organisations {
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,99}");

    private Organisations() {}

    /** Whether the name can safely be a directory name: lower case, digits, {@code . _ -}, no leading dot. */
    public static boolean isValid(String organisation) {
        return organisation != null && NAME.matcher(organisation).matches() && !organisation.contains("..");
    }

    /** The organisation's own directory under the sources root. */
    public static Path sourceRoot(Path sourcesDir, String organisation) {
        if (!isValid(organisation)) {
            throw new BrokerException(BrokerErrorCode.FORBIDDEN,
                    "organisation '" + organisation + "' cannot own sources: names are [a-z0-9._-], at most 100 characters");
        }
        return sourcesDir.resolve(organisation);
    }
}
