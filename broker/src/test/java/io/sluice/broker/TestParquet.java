package io.sluice.broker;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;

/** A small real Parquet file for broker tests: 1000 (or n) rows of {@code id} (int64) and {@code name} ("n" + id). */
public final class TestParquet {
    private TestParquet() {}

    public static void write(Path file) throws IOException {
        write(file, 1000);
    }

    public static void write(Path file, int rows) throws IOException {
        write(file, rows, 128 * 1024 * 1024);
    }

    /** With small {@code rowGroupBytes}, a file of many row groups: many batches per stream. */
    public static void write(Path file, int rows, int rowGroupBytes) throws IOException {
        Files.createDirectories(file.getParent());
        MessageType schema = MessageTypeParser.parseMessageType(
                "message t { required int64 id; required binary name (STRING); }");
        SimpleGroupFactory groups = new SimpleGroupFactory(schema);
        try (ParquetWriter<Group> writer = ExampleParquetWriter.builder(new LocalOutputFile(file))
                .withConf(new PlainParquetConfiguration()).withType(schema).withRowGroupSize(rowGroupBytes)
                .withWriteMode(org.apache.parquet.hadoop.ParquetFileWriter.Mode.OVERWRITE).build()) {
            for (long i = 0; i < rows; i++) {
                writer.write(groups.newGroup().append("id", i).append("name", "n" + i));
            }
        }
    }
}
