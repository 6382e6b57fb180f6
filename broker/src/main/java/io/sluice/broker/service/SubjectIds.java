package io.sluice.broker.service;

import io.sluice.broker.BrokerErrorCode;
import io.sluice.broker.BrokerException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;

/**
 * Opt-out ids as the subject column's own type. An integer column takes JSON integers, and strings
 * that are decimal integers, within the column's range, kept in their canonical decimal form (so
 * {@code 7}, {@code "7"} and {@code "007"} are one subject); a utf8 column takes strings. Anything
 * else is refused with a message naming the id and the type, rather than stored as an id that can
 * never match a row.
 */
final class SubjectIds {
    private static final Pattern DECIMAL = Pattern.compile("[+-]?[0-9]{1,40}");

    private SubjectIds() {}

    /**
     * @param ids the ids as the request's JSON gave them: strings and numbers
     * @return the ids as stored and matched, in the order given
     * @throws BrokerException {@code BAD_REQUEST} naming the first id that is not of the column's type
     */
    static List<String> of(Field column, List<Object> ids) {
        List<String> normalised = new ArrayList<>(ids.size());
        if (column.getType() instanceof ArrowType.Int integer) {
            BigInteger min = integer.getIsSigned() ? BigInteger.ONE.shiftLeft(integer.getBitWidth() - 1).negate() : BigInteger.ZERO;
            BigInteger max = (integer.getIsSigned() ? BigInteger.ONE.shiftLeft(integer.getBitWidth() - 1)
                    : BigInteger.ONE.shiftLeft(integer.getBitWidth())).subtract(BigInteger.ONE);
            String type = (integer.getIsSigned() ? "int" : "uint") + integer.getBitWidth();
            for (Object id : ids) {
                BigInteger value = switch (id) {
                    case Integer i -> BigInteger.valueOf(i);
                    case Long l -> BigInteger.valueOf(l);
                    case BigInteger b -> b;
                    case String s when DECIMAL.matcher(s.strip()).matches() -> new BigInteger(s.strip());
                    default -> throw notOfType(column, id, type, "a JSON integer, or a string of one");
                };
                if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
                    throw notOfType(column, id, type, "an integer from " + min + " to " + max);
                }
                normalised.add(value.toString());
            }
        } else {
            for (Object id : ids) {
                if (!(id instanceof String text)) {
                    throw notOfType(column, id, "utf8", "a JSON string");
                }
                normalised.add(text);
            }
        }
        return normalised;
    }

    private static BrokerException notOfType(Field column, Object id, String type, String takes) {
        String shown = id instanceof String ? "\"" + id + "\"" : String.valueOf(id);
        return new BrokerException(BrokerErrorCode.BAD_REQUEST, "opt-out id " + shown + " is not " + (type.startsWith("int") ? "an " : "a ") + type
                + " id: subject column '" + column.getName() + "' is " + type + " and takes " + takes);
    }
}
