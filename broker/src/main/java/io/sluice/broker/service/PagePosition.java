package io.sluice.broker.service;

import static java.util.Objects.requireNonNull;

import io.sluice.broker.BrokerErrorCode;
import io.sluice.broker.BrokerException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Base64;

/**
 * Where a page of a listing ordered by (time, id) ended, as the opaque {@code next}/{@code after}
 * text clients pass back: base64url of the time and the id. A position, not an offset, so entries
 * added or removed between two pages move no other entry onto or off the next one.
 */
public record PagePosition(Instant at, String id) {
    public PagePosition {
        requireNonNull(at, "at is null");
        requireNonNull(id, "id is null");
    }

    public String encode() {
        return Base64.getUrlEncoder().withoutPadding().encodeToString((at + " " + id).getBytes(StandardCharsets.UTF_8));
    }

    /**
     * @param page what the listing's pages are called in the refusal, e.g. "catalog page"
     * @throws BrokerException (400) when {@code text} is not a position {@link #encode()} made
     */
    public static PagePosition decode(String text, String page) {
        requireNonNull(text, "text is null");
        try {
            String decoded = new String(Base64.getUrlDecoder().decode(text), StandardCharsets.UTF_8);
            int space = decoded.indexOf(' ');
            if (space < 1 || space == decoded.length() - 1) {
                throw new IllegalArgumentException("no position");
            }
            return new PagePosition(Instant.parse(decoded.substring(0, space)), decoded.substring(space + 1));
        } catch (IllegalArgumentException | DateTimeParseException e) {
            throw new BrokerException(BrokerErrorCode.BAD_REQUEST,
                    "'after' must be the 'next' value of an earlier " + page + ", was '" + text + "'");
        }
    }
}
