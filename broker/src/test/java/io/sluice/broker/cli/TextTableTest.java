package io.sluice.broker.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class TextTableTest {
    @Test
    void padsTextToTheLeftAndNumbersToTheRightWithNoTrailingBlanks() {
        TextTable table = new TextTable(List.of("organisation", "rows", "note"),
                List.of(TextTable.Align.LEFT, TextTable.Align.RIGHT, TextTable.Align.LEFT));
        table.add(List.of("ai-lab", TextTable.number(1_234_567), "x"));
        table.add(List.of("a-much-longer-organisation", TextTable.number(7), "longer note"));

        assertThat(table.render()).isEqualTo("""
                organisation                     rows  note
                ai-lab                      1,234,567  x
                a-much-longer-organisation          7  longer note
                """);
    }

    @Test
    void aRowFittedBeforeItIsPrintedWidensItsColumns() {
        TextTable table = new TextTable(List.of("a", "b"), List.of(TextTable.Align.LEFT, TextTable.Align.RIGHT));
        table.fit(List.of("wide", "12345"));

        assertThat(table.heading()).isEqualTo("a         b");
        assertThat(table.line(List.of("x", "1"))).isEqualTo("x         1");
    }

    @Test
    void numbersUseThousandsSeparatorsWhateverTheLocale() {
        assertThat(TextTable.number(0)).isEqualTo("0");
        assertThat(TextTable.number(1000)).isEqualTo("1,000");
        assertThat(TextTable.number(12_345_678_901L)).isEqualTo("12,345,678,901");
    }

    @Test
    void refusesARowOfTheWrongWidth() {
        TextTable table = new TextTable(List.of("a", "b"), List.of(TextTable.Align.LEFT, TextTable.Align.RIGHT));
        assertThatThrownBy(() -> table.add(List.of("x"))).hasMessage("a row needs 2 cells, had 1");
    }
}
