package io.sluice.connectors.parquet;

import static java.util.Objects.requireNonNull;

import io.sluice.connectors.ConnectorErrorCode;
import io.sluice.connectors.ConnectorException;
import io.sluice.connectors.SourceFiles;
import io.sluice.connectors.parquet.ParquetColumn.Leaf;
import io.sluice.connectors.parquet.ParquetColumn.LeafKind;
import io.sluice.connectors.parquet.StatisticsPruning.Bytes;
import io.sluice.connectors.parquet.StatisticsPruning.Range;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.apache.arrow.vector.types.DateUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.parquet.column.statistics.Statistics;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.hadoop.metadata.ColumnPath;
import org.apache.parquet.io.api.Binary;

/**
 * One Parquet file, or a directory tree of them, with one schema: the footers, the partition
 * values of hive-style {@code key=value/} folders, and the row groups in a fixed order.
 *
 * <p>Directory rules: every regular file under the directory whose name and folders do not start
 * with {@code .} or {@code _} is part of the data set (so {@code _SUCCESS}, {@code .crc} and
 * {@code _temporary/} are ignored) and must be a Parquet file; symbolic links are refused, so
 * nothing outside the confined directory is ever read. Files are ordered by their relative path.
 * Every file must map to the same Arrow schema (nullability may differ: the data set's field is
 * nullable when any file's is) and sit under the same partition keys in the same order.
 *
 * <p>Immutable after {@link #open}; safe to share between threads.
 */
final class ParquetDataset {
    /** The most files one directory source may hold. */
    static final int MAX_FILES = 100_000;
    private static final String HIVE_NULL = "__HIVE_DEFAULT_PARTITION__";
    private static final Pattern PARTITION = Pattern.compile("([^=]+)=(.*)");

    /**
     * One file of the data set.
     *
     * @param name how messages name it: the source's name, then the path inside it
     * @param relativePath the path inside the directory, {@code /}-separated (the file name for a file source)
     * @param path the file
     * @param footer its checked footer
     * @param columns its columns, by name
     * @param partitionValues its partition values, typed like {@link #partitionFields()} (null for
     *     the hive null partition)
     */
    record DataFile(String name, String relativePath, Path path, ParquetFooter footer,
            Map<String, ParquetColumn> columns, List<Object> partitionValues) {}

    /**
     * One row group of one file: the unit of sharding and of statistics skipping.
     *
     * @param file index into {@link #files()}
     * @param rowGroup index of the row group in its file
     * @param rows rows in it
     * @param firstRow rows in every unit before it
     */
    record Unit(int file, int rowGroup, long rows, long firstRow) {}

    private final String name;
    private final boolean directory;
    private final List<DataFile> files;
    private final List<Field> partitionFields;
    private final Schema schema;
    private final List<Unit> units;
    private final long rows;
    private final String fingerprint;

    private ParquetDataset(String name, boolean directory, List<DataFile> files, List<Field> partitionFields,
            Schema schema, String fingerprint) {
        this.name = name;
        this.directory = directory;
        this.files = List.copyOf(files);
        this.partitionFields = List.copyOf(partitionFields);
        this.schema = schema;
        this.fingerprint = fingerprint;
        List<Unit> all = new ArrayList<>();
        long first = 0;
        for (int f = 0; f < files.size(); f++) {
            List<BlockMetaData> blocks = files.get(f).footer().metadata().getBlocks();
            for (int b = 0; b < blocks.size(); b++) {
                long count = blocks.get(b).getRowCount();
                all.add(new Unit(f, b, count, first));
                first += count;
            }
        }
        this.units = List.copyOf(all);
        this.rows = first;
    }

    /**
     * Opens a file or a directory tree of files.
     *
     * @throws ConnectorException {@link ConnectorErrorCode#CORRUPT_SOURCE} or
     *     {@link ConnectorErrorCode#UNSUPPORTED_TYPE} naming the file, {@link ConnectorErrorCode#SCHEMA_MISMATCH}
     *     naming the two files and the difference, {@link ConnectorErrorCode#INVALID_SOURCE_CONFIG} for an
     *     empty directory, {@link ConnectorErrorCode#PATH_OUTSIDE_ROOT} for a symbolic link inside it
     */
    static ParquetDataset open(Path location) {
        requireNonNull(location, "location is null");
        String sourceName = ParquetFooter.fileName(location);
        if (!Files.isDirectory(location)) {
            ParquetFooter footer = ParquetFooter.read(location);
            Map<String, ParquetColumn> columns = byName(ParquetArrowSchema.columns(
                    footer.metadata().getFileMetaData().getSchema(), footer.fileName()));
            DataFile file = new DataFile(footer.fileName(), footer.fileName(), location, footer, columns, List.of());
            Schema schema = new Schema(columns.values().stream().map(ParquetColumn::field).toList());
            return new ParquetDataset(sourceName, false, List.of(file), List.of(), schema, footer.fingerprint());
        }
        List<String> relativePaths = list(location, sourceName);
        if (relativePaths.isEmpty()) {
            throw new ConnectorException(ConnectorErrorCode.INVALID_SOURCE_CONFIG,
                    "directory '" + sourceName + "' holds no Parquet files");
        }
        MessageDigest digest = ParquetFooter.sha256();
        List<String> keys = null;
        String keysFrom = null;
        List<List<String>> rawPartitions = new ArrayList<>();
        List<ParquetFooter> footers = new ArrayList<>();
        List<Map<String, ParquetColumn>> columnMaps = new ArrayList<>();
        for (String relative : relativePaths) {
            String fileName = sourceName + "/" + relative;
            Map<String, String> partition = partition(relative, fileName);
            if (keys == null) {
                keys = List.copyOf(partition.keySet());
                keysFrom = fileName;
            } else if (!keys.equals(List.copyOf(partition.keySet()))) {
                throw new ConnectorException(ConnectorErrorCode.SCHEMA_MISMATCH, fileName + " is partitioned by "
                        + partition.keySet() + " but " + keysFrom + " by " + keys
                        + "; every file of a directory must sit under the same key=value folders");
            }
            rawPartitions.add(new ArrayList<>(partition.values())); // values may be null
            ParquetFooter footer = ParquetFooter.read(location.resolve(relative), fileName, digest, relative);
            footers.add(footer);
            columnMaps.add(byName(ParquetArrowSchema.columns(footer.metadata().getFileMetaData().getSchema(),
                    fileName)));
        }
        List<Field> fields = unifiedFields(columnMaps, relativePaths, sourceName);
        List<Field> partitionFields = new ArrayList<>();
        List<List<Object>> typedPartitions = new ArrayList<>();
        for (int f = 0; f < relativePaths.size(); f++) {
            typedPartitions.add(new ArrayList<>());
        }
        for (int k = 0; k < keys.size(); k++) {
            String key = keys.get(k);
            if (columnMaps.getFirst().containsKey(key)) {
                throw new ConnectorException(ConnectorErrorCode.SCHEMA_MISMATCH, "directory '" + sourceName
                        + "' has a partition key '" + key + "' that is also a column of its files");
            }
            List<String> raw = new ArrayList<>();
            for (List<String> values : rawPartitions) {
                raw.add(values.get(k));
            }
            ArrowType type = partitionType(raw);
            partitionFields.add(new Field(key, new FieldType(true, type, null), null));
            for (int f = 0; f < raw.size(); f++) {
                typedPartitions.get(f).add(partitionValue(type, raw.get(f)));
            }
        }
        List<DataFile> files = new ArrayList<>();
        for (int f = 0; f < relativePaths.size(); f++) {
            files.add(new DataFile(sourceName + "/" + relativePaths.get(f), relativePaths.get(f),
                    location.resolve(relativePaths.get(f)), footers.get(f), columnMaps.get(f),
                    Collections.unmodifiableList(typedPartitions.get(f))));
        }
        List<Field> all = new ArrayList<>(fields);
        all.addAll(partitionFields);
        return new ParquetDataset(sourceName, true, files, partitionFields, new Schema(all),
                HexFormat.of().formatHex(digest.digest()));
    }

    String name() {
        return name;
    }

    boolean directory() {
        return directory;
    }

    List<DataFile> files() {
        return files;
    }

    List<Field> partitionFields() {
        return partitionFields;
    }

    /** File columns in file order, then partition columns in folder order. */
    Schema schema() {
        return schema;
    }

    List<Unit> units() {
        return units;
    }

    long rows() {
        return rows;
    }

    String fingerprint() {
        return fingerprint;
    }

    /**
     * The units of shard {@code shard} of {@code shards}: contiguous runs of row groups cut by
     * their first row, so that each shard gets about {@code rows / shards} rows. Deterministic;
     * the shards are disjoint and together hold every unit.
     */
    List<Unit> shard(int shard, int shards) {
        if (shards == 1) {
            return units;
        }
        List<Unit> selected = new ArrayList<>();
        BigInteger total = BigInteger.valueOf(Math.max(1, rows));
        BigInteger n = BigInteger.valueOf(shards);
        for (int u = 0; u < units.size(); u++) {
            Unit unit = units.get(u);
            int owner = rows == 0 ? u % shards
                    : BigInteger.valueOf(unit.firstRow()).multiply(n).divide(total).intValue();
            if (owner == shard) {
                selected.add(unit);
            }
        }
        return selected;
    }

    /** What the footer (or the folder) says about {@code column} in {@code unit}. */
    Range range(Unit unit, String column) {
        DataFile file = files.get(unit.file());
        int partition = partitionIndex(column);
        if (partition >= 0) {
            Object value = file.partitionValues().get(partition);
            if (value == null) {
                return new Range(Optional.empty(), Optional.empty(), unit.rows(), unit.rows());
            }
            Comparable<?> domain = switch (value) {
                case Long l -> BigDecimal.valueOf(l);
                case Integer day -> BigDecimal.valueOf(day);
                case Boolean b -> b;
                case String s -> new Bytes(s.getBytes(StandardCharsets.UTF_8));
                default -> null;
            };
            return new Range(Optional.ofNullable(domain), Optional.ofNullable(domain), 0, unit.rows());
        }
        ParquetColumn parquetColumn = file.columns().get(column);
        if (parquetColumn == null || !(parquetColumn.node() instanceof Leaf leaf)) {
            return Range.unknown(unit.rows());
        }
        BlockMetaData block = file.footer().metadata().getBlocks().get(unit.rowGroup());
        ColumnPath path = ColumnPath.get(leaf.descriptor().getPath());
        for (ColumnChunkMetaData chunk : block.getColumns()) {
            if (chunk.getPath().equals(path)) {
                return range(chunk.getStatistics(), leaf, parquetColumn.field().getType(), unit.rows());
            }
        }
        return Range.unknown(unit.rows());
    }

    private int partitionIndex(String column) {
        for (int i = 0; i < partitionFields.size(); i++) {
            if (partitionFields.get(i).getName().equals(column)) {
                return i;
            }
        }
        return -1;
    }

    private static Range range(Statistics<?> statistics, Leaf leaf, ArrowType type, long rows) {
        if (statistics == null || statistics.isEmpty()) {
            return Range.unknown(rows);
        }
        long nulls = statistics.isNumNullsSet() ? statistics.getNumNulls() : -1;
        if (!statistics.hasNonNullValue()) {
            return new Range(Optional.empty(), Optional.empty(), nulls, rows);
        }
        Comparable<?> min = domain(statistics.genericGetMin(), leaf, type);
        Comparable<?> max = domain(statistics.genericGetMax(), leaf, type);
        if (min == null || max == null) {
            return new Range(Optional.empty(), Optional.empty(), nulls, rows);
        }
        return new Range(Optional.of(min), Optional.of(max), nulls, rows);
    }

    /** A statistics value in the pruning domain, or null where this column type is never pruned. */
    private static Comparable<?> domain(Object value, Leaf leaf, ArrowType type) {
        LeafKind kind = leaf.kind();
        return switch (type) {
            case ArrowType.Int i when i.getIsSigned() && value instanceof Number n -> BigDecimal.valueOf(n.longValue());
            case ArrowType.Date d when d.getUnit() == DateUnit.DAY && value instanceof Integer day ->
                    BigDecimal.valueOf(day);
            case ArrowType.Timestamp _ when kind == LeafKind.INT64 && value instanceof Long l -> BigDecimal.valueOf(l);
            case ArrowType.Bool _ when value instanceof Boolean b -> b;
            case ArrowType.Utf8 _ when value instanceof Binary b -> new Bytes(b.getBytes());
            case ArrowType.Decimal d -> switch (value) {
                case Integer unscaled -> BigDecimal.valueOf(unscaled, d.getScale());
                case Long unscaled -> BigDecimal.valueOf(unscaled, d.getScale());
                case Binary b when b.length() > 0 -> new BigDecimal(new BigInteger(b.getBytes()), d.getScale());
                default -> null;
            };
            default -> null;
        };
    }

    private static Map<String, ParquetColumn> byName(List<ParquetColumn> columns) {
        Map<String, ParquetColumn> map = new LinkedHashMap<>();
        for (ParquetColumn column : columns) {
            map.put(column.name(), column);
        }
        return map;
    }

    /** Files under {@code root}, relative, {@code /}-separated, sorted. */
    private static List<String> list(Path root, String sourceName) {
        List<String> found = new ArrayList<>();
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attributes) {
                    return !dir.equals(root) && hidden(dir) ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) {
                    String relative = relative(root, file);
                    if (attributes.isSymbolicLink()) {
                        throw new ConnectorException(ConnectorErrorCode.PATH_OUTSIDE_ROOT, sourceName + "/" + relative
                                + " is a symbolic link; a directory source must hold plain files and folders");
                    }
                    if (hidden(file)) {
                        return FileVisitResult.CONTINUE; // never opened
                    }
                    // The walk reads attributes without following links or opening anything: a pipe
                    // here is refused before any reader could block on it.
                    SourceFiles.requireRegular(file, sourceName + "/" + relative, attributes);
                    if (found.size() >= MAX_FILES) {
                        throw new ConnectorException(ConnectorErrorCode.INVALID_SOURCE_CONFIG, "directory '"
                                + sourceName + "' holds more than " + MAX_FILES + " files");
                    }
                    found.add(relative);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new ConnectorException(ConnectorErrorCode.SOURCE_READ_FAILED,
                    "directory '" + sourceName + "' cannot be listed: " + SourceFiles.reason(e), e);
        }
        found.sort(null);
        return found;
    }

    private static boolean hidden(Path path) {
        String fileName = path.getFileName().toString();
        return fileName.startsWith(".") || fileName.startsWith("_");
    }

    private static String relative(Path root, Path file) {
        List<String> parts = new ArrayList<>();
        for (Path part : root.relativize(file)) {
            parts.add(part.toString());
        }
        return String.join("/", parts);
    }

    /** The {@code key=value} folders of {@code relative}, in order, values decoded. */
    private static Map<String, String> partition(String relative, String fileName) {
        Map<String, String> values = new LinkedHashMap<>();
        String[] parts = relative.split("/");
        for (int i = 0; i < parts.length - 1; i++) {
            var matcher = PARTITION.matcher(parts[i]);
            if (matcher.matches()) {
                String key = unescape(matcher.group(1));
                if (values.containsKey(key)) {
                    throw new ConnectorException(ConnectorErrorCode.SCHEMA_MISMATCH,
                            fileName + " sits under two folders for partition key '" + key + "'");
                }
                String value = unescape(matcher.group(2));
                values.put(key, value.equals(HIVE_NULL) ? null : value);
            }
        }
        return values;
    }

    /** Hive's escaping: {@code %XX} is the byte XX of the UTF-8 text. */
    private static String unescape(String text) {
        if (text.indexOf('%') < 0) {
            return text;
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '%' && i + 2 < text.length()
                    && HexFormat.isHexDigit(text.charAt(i + 1)) && HexFormat.isHexDigit(text.charAt(i + 2))) {
                bytes.write(HexFormat.fromHexDigits(text, i + 1, i + 3));
                i += 2;
            } else {
                bytes.writeBytes(String.valueOf(c).getBytes(StandardCharsets.UTF_8));
            }
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /** int64 when every value is an integer, bool when true/false, date when ISO dates, else utf8. */
    private static ArrowType partitionType(List<String> values) {
        boolean integers = true;
        boolean booleans = true;
        boolean dates = true;
        boolean any = false;
        for (String value : values) {
            if (value == null) {
                continue;
            }
            any = true;
            integers &= isLong(value);
            booleans &= value.equals("true") || value.equals("false");
            dates &= isDate(value);
        }
        if (!any) {
            return ArrowType.Utf8.INSTANCE;
        }
        if (integers) {
            return new ArrowType.Int(64, true);
        }
        if (booleans) {
            return ArrowType.Bool.INSTANCE;
        }
        if (dates) {
            return new ArrowType.Date(DateUnit.DAY);
        }
        return ArrowType.Utf8.INSTANCE;
    }

    private static Object partitionValue(ArrowType type, String raw) {
        if (raw == null) {
            return null;
        }
        return switch (type) {
            case ArrowType.Int _ -> Long.parseLong(raw);
            case ArrowType.Bool _ -> Boolean.parseBoolean(raw);
            case ArrowType.Date _ -> (int) LocalDate.parse(raw).toEpochDay();
            default -> raw;
        };
    }

    private static boolean isLong(String value) {
        if (value.isEmpty() || value.length() > 20) {
            return false;
        }
        try {
            Long.parseLong(value);
            return value.charAt(0) != '+' && !(value.length() > 1 && value.charAt(0) == '0');
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private static boolean isDate(String value) {
        if (value.length() != 10) {
            return false;
        }
        try {
            LocalDate.parse(value);
            return true;
        } catch (DateTimeParseException e) {
            return false;
        }
    }

    /** The first file's fields, nullable where any file's is; a clear error at the first difference. */
    private static List<Field> unifiedFields(List<Map<String, ParquetColumn>> columnMaps, List<String> relativePaths,
            String sourceName) {
        List<Field> unified = new ArrayList<>(columnMaps.getFirst().values().stream().map(ParquetColumn::field).toList());
        String first = sourceName + "/" + relativePaths.getFirst();
        for (int f = 1; f < columnMaps.size(); f++) {
            List<Field> fields = columnMaps.get(f).values().stream().map(ParquetColumn::field).toList();
            String other = sourceName + "/" + relativePaths.get(f);
            List<String> names = unified.stream().map(Field::getName).toList();
            List<String> otherNames = fields.stream().map(Field::getName).toList();
            if (!names.equals(otherNames)) {
                throw new ConnectorException(ConnectorErrorCode.SCHEMA_MISMATCH, other + " has columns " + otherNames
                        + " but " + first + " has " + names + "; every file of a directory must have the same columns"
                        + " in the same order");
            }
            for (int c = 0; c < fields.size(); c++) {
                Field a = unified.get(c);
                Field b = fields.get(c);
                if (!withoutNullability(a).equals(withoutNullability(b))) {
                    throw new ConnectorException(ConnectorErrorCode.SCHEMA_MISMATCH, "column '" + a.getName()
                            + "' is " + describe(b) + " in " + other + " but " + describe(a) + " in " + first);
                }
                unified.set(c, unionNullability(a, b));
            }
        }
        return unified;
    }

    private static String describe(Field field) {
        if (field.getChildren().isEmpty()) {
            return field.getType().toString();
        }
        return field.getType() + "<" + String.join(", ", field.getChildren().stream()
                .map(c -> c.getName() + ": " + describe(c)).toList()) + ">";
    }

    private static Field withoutNullability(Field field) {
        return new Field(field.getName(), new FieldType(true, field.getType(), null),
                field.getChildren().stream().map(ParquetDataset::withoutNullability).toList());
    }

    private static Field unionNullability(Field a, Field b) {
        List<Field> children = new ArrayList<>();
        for (int i = 0; i < a.getChildren().size(); i++) {
            children.add(unionNullability(a.getChildren().get(i), b.getChildren().get(i)));
        }
        return new Field(a.getName(), new FieldType(a.isNullable() || b.isNullable(), a.getType(), null), children);
    }
}
