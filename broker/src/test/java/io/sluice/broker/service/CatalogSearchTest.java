package io.sluice.broker.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.broker.BrokerException;
import io.sluice.broker.store.Dataset;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;

class CatalogSearchTest {
    private static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");

    private final List<Dataset> stored = new ArrayList<>();
    private final CatalogSearch search = new CatalogSearch(() -> List.copyOf(stored));

    @Test
    void pagesInRegistrationOrderAndEveryDatasetOnce() {
        // Two at the same instant: the id breaks the tie. Listed out of order: the search sorts.
        stored.add(dataset("ds-c", "C", "", "org", T0.plusSeconds(5), "x"));
        stored.add(dataset("ds-b", "B", "", "org", T0, "x"));
        stored.add(dataset("ds-a", "A", "", "org", T0, "x"));
        stored.add(dataset("ds-d", "D", "", "org", T0.plusSeconds(9), "x"));

        assertThat(allPages(2)).containsExactly("ds-a", "ds-b", "ds-c", "ds-d");
        assertThat(allPages(1)).containsExactly("ds-a", "ds-b", "ds-c", "ds-d");
        assertThat(allPages(4)).containsExactly("ds-a", "ds-b", "ds-c", "ds-d");
        CatalogSearch.Page whole = search.search(query(Optional.empty(), 4, Optional.empty()));
        assertThat(whole.next()).isEmpty();
    }

    @Test
    void aDatasetRegisteredOrRemovedBetweenPagesShiftsNoOtherAcrossTheCursor() {
        stored.add(dataset("ds-a", "A", "", "org", T0, "x"));
        stored.add(dataset("ds-b", "B", "", "org", T0.plusSeconds(1), "x"));
        stored.add(dataset("ds-c", "C", "", "org", T0.plusSeconds(2), "x"));
        CatalogSearch.Page first = search.search(query(Optional.empty(), 2, Optional.empty()));
        assertThat(ids(first)).containsExactly("ds-a", "ds-b");

        stored.removeIf(d -> d.id().equals("ds-a"));
        stored.add(dataset("ds-e", "E", "", "org", T0.plusSeconds(3), "x"));
        // The cursor travels as text, as a client holds it.
        CatalogCursor cursor = CatalogCursor.decode(first.next().orElseThrow().encode());
        CatalogSearch.Page second = search.search(query(Optional.empty(), 2, Optional.of(cursor)));
        assertThat(ids(second)).containsExactly("ds-c", "ds-e");
        assertThat(second.next()).isEmpty();
    }

    @Test
    void matchesNameDescriptionOrganisationAndColumnNamesIgnoringCase() {
        stored.add(dataset("ds-1", "Ward Admissions", "stays", "hospital-a", T0, "patient_id"));
        stored.add(dataset("ds-2", "Labs", "Glucose per visit", "hospital-a", T0.plusSeconds(1), "glucose"));
        stored.add(dataset("ds-3", "Baskets", "What shoppers bought", "shop-b", T0.plusSeconds(2), "basket_id"));

        assertThat(matching("admissions")).containsExactly("ds-1");
        assertThat(matching("GLUCOSE")).containsExactly("ds-2");
        assertThat(matching("Shop-B")).containsExactly("ds-3");
        assertThat(matching("_ID")).containsExactly("ds-1", "ds-3");
        assertThat(matching("  hospital ")).containsExactly("ds-1", "ds-2");
        assertThat(matching("absent")).isEmpty();
        assertThat(matching("")).containsExactly("ds-1", "ds-2", "ds-3");
    }

    @Test
    void refusesBoundsItCannotServeNamingThem() {
        assertThatThrownBy(() -> query(Optional.empty(), 1001, Optional.empty()))
                .isInstanceOf(BrokerException.class).hasMessage("'limit' must be between 1 and 1000, was 1001");
        assertThatThrownBy(() -> query(Optional.empty(), 0, Optional.empty()))
                .hasMessage("'limit' must be between 1 and 1000, was 0");
        assertThatThrownBy(() -> query(Optional.of("q".repeat(201)), 10, Optional.empty()))
                .hasMessage("'q' must be at most 200 characters, was 201");
        for (String garbage : List.of("%%%", "bm8gc3BhY2U", "IGRzLWE", "bm90LWEtdGltZSBkcy1h")) {
            assertThatThrownBy(() -> CatalogCursor.decode(garbage)).as(garbage)
                    .isInstanceOf(BrokerException.class)
                    .hasMessage("'after' must be the 'next' value of an earlier catalog page, was '" + garbage + "'");
        }
    }

    private List<String> allPages(int limit) {
        List<String> seen = new ArrayList<>();
        Optional<CatalogCursor> after = Optional.empty();
        for (int pages = 0; pages < 10; pages++) {
            CatalogSearch.Page page = search.search(query(Optional.empty(), limit, after));
            assertThat(page.datasets()).hasSizeLessThanOrEqualTo(limit);
            seen.addAll(ids(page));
            if (page.next().isEmpty()) {
                return seen;
            }
            after = page.next();
        }
        throw new AssertionError("paging did not end: " + seen);
    }

    private List<String> matching(String text) {
        return ids(search.search(query(Optional.of(text), 100, Optional.empty())));
    }

    private static CatalogSearch.Query query(Optional<String> text, int limit, Optional<CatalogCursor> after) {
        return new CatalogSearch.Query(text, limit, after);
    }

    private static List<String> ids(CatalogSearch.Page page) {
        return page.datasets().stream().map(Dataset::id).toList();
    }

    private static Dataset dataset(String id, String name, String description, String organisation, Instant at,
            String column) {
        Schema schema = new Schema(List.of(new Field(column, FieldType.nullable(ArrowType.Utf8.INSTANCE), null)));
        return new Dataset(id, name, description, organisation, "csv", Optional.of("f.csv"), Map.of(), "v1", schema,
                OptionalLong.empty(), "{}", 1, Optional.empty(), at, Optional.empty());
    }
}
