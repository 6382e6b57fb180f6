package io.sluice.broker.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.sql.ResultSet;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The store logs in with the user and password it is given apart from the URL (--db-user, --db-password-file). */
class DatabaseLoginTest {

    @TempDir
    Path dir;

    @Test
    void logsInWithTheGivenUserAndPasswordAndNotWithAnother() throws Exception {
        // H2 makes the first user of a new database its administrator with that password, and checks it afterwards.
        String url = "jdbc:h2:file:" + dir.resolve("store") + ";DB_CLOSE_ON_EXIT=FALSE";
        try (Database database = Database.open(url, Optional.of("broker"), Optional.of("s3cret"));
                var connection = database.connection();
                ResultSet user = connection.createStatement().executeQuery("SELECT CURRENT_USER")) {
            user.next();
            assertThat(user.getString(1)).isEqualToIgnoringCase("broker");
        }
        assertThatThrownBy(() -> Database.open(url, Optional.of("broker"), Optional.of("wrong")).close())
                .hasMessageContaining("Wrong user name or password")
                .hasMessageNotContaining("wrong");
        try (Database again = Database.open(url, Optional.of("broker"), Optional.of("s3cret"))) {
            assertThat(again.connection().isValid(1)).isTrue();
        }
    }
}
