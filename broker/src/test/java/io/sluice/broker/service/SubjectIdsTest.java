package io.sluice.broker.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.broker.BrokerException;
import java.math.BigInteger;
import java.util.List;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.junit.jupiter.api.Test;

class SubjectIdsTest {
    private static Field column(String name, ArrowType type) {
        return new Field(name, FieldType.notNullable(type), null);
    }

    @Test
    void anIntegerColumnTakesIntegersAndStringsOfThemInCanonicalForm() {
        Field id = column("patient_id", new ArrowType.Int(64, true));
        assertThat(SubjectIds.of(id, List.of(7, 8L, "009", " -3", "+4", new BigInteger("9223372036854775807"))))
                .containsExactly("7", "8", "9", "-3", "4", "9223372036854775807");
    }

    @Test
    void anIntegerColumnRefusesFractionsWordsAndValuesOutOfItsRange() {
        Field id = column("patient_id", new ArrowType.Int(64, true));
        assertThatThrownBy(() -> SubjectIds.of(id, List.of(1, 2.5))).isInstanceOf(BrokerException.class)
                .hasMessage("opt-out id 2.5 is not an int64 id: subject column 'patient_id' is int64 and takes a JSON"
                        + " integer, or a string of one");
        assertThatThrownBy(() -> SubjectIds.of(id, List.of("p-17"))).hasMessageStartingWith("opt-out id \"p-17\" is not an int64 id");
        Field small = column("ward", new ArrowType.Int(16, false));
        assertThatThrownBy(() -> SubjectIds.of(small, List.of(-1))).hasMessage("opt-out id -1 is not a uint16 id:"
                + " subject column 'ward' is uint16 and takes an integer from 0 to 65535");
        assertThat(SubjectIds.of(small, List.of(65535))).containsExactly("65535");
    }

    @Test
    void aUtf8ColumnTakesStringsOnly() {
        Field email = column("email", ArrowType.Utf8.INSTANCE);
        assertThat(SubjectIds.of(email, List.of("a@b", "007"))).containsExactly("a@b", "007");
        assertThatThrownBy(() -> SubjectIds.of(email, List.of(7))).hasMessage("opt-out id 7 is not a utf8 id:"
                + " subject column 'email' is utf8 and takes a JSON string");
    }
}
