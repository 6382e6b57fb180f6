package io.sluice.broker.service;

import java.security.SecureRandom;
import java.util.HexFormat;

/** Opaque, unguessable ids with a prefix that says what they name ({@code ds-}, {@code gr-}, {@code st-}). */
public final class Ids {
    private static final SecureRandom RANDOM = new SecureRandom();

    private Ids() {}

    public static String next(String prefix) {
        byte[] bytes = new byte[12];
        RANDOM.nextBytes(bytes);
        return prefix + "-" + HexFormat.of().formatHex(bytes);
    }
}
