#!/usr/bin/env python3
"""Writes a corpus of flat Parquet files with pyarrow, and pyarrow's reading of each one.

Usage: python3 parquet_corpus.py OUTDIR

For every file (or directory source) NAME it writes:
  OUTDIR/NAME.parquet (or the directory OUTDIR/NAME/)  the file as pyarrow writes it
  OUTDIR/NAME.arrow  pyarrow's reading (pq.read_table(path, coerce_int96_timestamp_unit='us')) as
                     an Arrow IPC file, with the types as Sluice's ParquetArrowSchema documents them
                     (see documented_type below: the same values, only the type's spelling differs)
and OUTDIR/manifest.tsv, one line per file: NAME<TAB>identical, or NAME<TAB>refused<TAB>WORD when
Sluice must refuse the file at registration with WORD in the message.

Covers every flat type pyarrow writes, every codec pyarrow writes (none, snappy, gzip, brotli,
zstd, lz4 = LZ4_RAW), dictionary on and off, PLAIN, BYTE_STREAM_SPLIT, DELTA_BINARY_PACKED,
DELTA_LENGTH_BYTE_ARRAY and DELTA_BYTE_ARRAY, data pages v1 and v2, tiny pages and row groups,
page checksums, nulls, zero rows (alone and as one part of a directory), legacy INT96 timestamps
with Spark's sentinels, extreme decimals, unsigned 64-bit values, and encrypted files. Files
pyarrow cannot write (Hadoop-framed LZ4, empty v2 pages) are made with parquet-java in the Java
tests. Deterministic: the same pyarrow writes the same bytes.
"""
import base64
import datetime
import decimal
import os
import random
import sys

import pyarrow as pa
import pyarrow.parquet as pq

try:
    import pyarrow.parquet.encryption as pe
except ImportError:  # a pyarrow built without Parquet encryption: no encrypted files then
    pe = None

decimal.getcontext().prec = 100  # the default 28 digits would round 38- and 76-digit decimals
CODECS = ["none", "snappy", "gzip", "brotli", "zstd", "lz4"]
ROWS = 2_000
MANIFEST = []


def flat_table(rows, seed):
    """Every flat type pyarrow writes, about one value in nine null, extremes in the first rows."""
    rnd = random.Random(seed)

    def column(make, extremes=(), null_every=9):
        values = list(extremes)
        while len(values) < rows:
            values.append(None if rnd.randrange(null_every) == 0 else make())
        return values[:rows]

    def text():
        kind = rnd.randrange(5)
        if kind == 0:
            return ""
        if kind == 1:
            return "x" * rnd.randrange(60, 300)  # longer than the short-copy path
        return "".join(rnd.choice("abcxyz ζ€😀\u00e9") for _ in range(rnd.randrange(1, 20)))

    def blob(length=None):
        return bytes(rnd.randrange(256) for _ in range(length if length is not None else rnd.randrange(0, 40)))

    def micros_between(first, last):
        return rnd.randrange(first, last)

    day_us = 86_400_000_000
    data = {
        "b": pa.array(column(lambda: rnd.random() < 0.5), pa.bool_()),
        "i8": pa.array(column(lambda: rnd.randrange(-128, 128), (-128, 127)), pa.int8()),
        "i16": pa.array(column(lambda: rnd.randrange(-2**15, 2**15), (-2**15, 2**15 - 1)), pa.int16()),
        "i32": pa.array(column(lambda: rnd.randrange(-2**31, 2**31), (-2**31, 2**31 - 1)), pa.int32()),
        "i64": pa.array(column(lambda: rnd.randrange(-2**63, 2**63), (-2**63, 2**63 - 1)), pa.int64()),
        "u8": pa.array(column(lambda: rnd.randrange(0, 2**8), (0, 255)), pa.uint8()),
        "u16": pa.array(column(lambda: rnd.randrange(0, 2**16), (0, 2**16 - 1)), pa.uint16()),
        "u32": pa.array(column(lambda: rnd.randrange(0, 2**32), (0, 2**32 - 1, 2**31)), pa.uint32()),
        "u64": pa.array(column(lambda: rnd.randrange(0, 2**64), (0, 2**64 - 1, 2**63, 2**63 - 1)), pa.uint64()),
        "f32": pa.array(column(lambda: rnd.uniform(-1e6, 1e6),
                               (float("nan"), float("inf"), float("-inf"), -0.0, 3.4e38)), pa.float32()),
        "f64": pa.array(column(lambda: rnd.uniform(-1e300, 1e300),
                               (float("nan"), float("inf"), -0.0, 5e-324, 1.7976931348623157e308)), pa.float64()),
        "s": pa.array(column(text), pa.string()),
        "ls": pa.array(column(text), pa.large_string()),
        "bin": pa.array(column(blob), pa.binary()),
        "lbin": pa.array(column(blob), pa.large_binary()),
        "fsb": pa.array(column(lambda: blob(5)), pa.binary(5)),
        "d32": pa.array(column(lambda: rnd.randrange(-719_162, 2_932_896), (-719_162, 2_932_896, 0)), pa.date32()),
        "d64": pa.array(column(lambda: rnd.randrange(-10**5, 10**5) * 86_400_000), pa.date64()),
        "t32s": pa.array(column(lambda: rnd.randrange(0, 86_400), (0, 86_399)), pa.time32("s")),
        "t32ms": pa.array(column(lambda: rnd.randrange(0, 86_400_000), (0, 86_399_999)), pa.time32("ms")),
        "t64us": pa.array(column(lambda: rnd.randrange(0, day_us), (0, day_us - 1)), pa.time64("us")),
        "t64ns": pa.array(column(lambda: rnd.randrange(0, day_us * 1000), (day_us * 1000 - 1,)), pa.time64("ns")),
        "ts_s": pa.array(column(lambda: rnd.randrange(-2**40, 2**40)), pa.timestamp("s")),
        "ts_ms": pa.array(column(lambda: rnd.randrange(-2**50, 2**50)), pa.timestamp("ms")),
        "ts_us": pa.array(column(lambda: micros_between(-62_135_596_800_000_000, 253_402_300_799_999_999),
                                 (-62_135_596_800_000_000, 253_402_300_799_999_999)), pa.timestamp("us")),
        "ts_ns": pa.array(column(lambda: rnd.randrange(-2**63 + 1, 2**63), (-2**63 + 1, 2**63 - 1)),
                          pa.timestamp("ns")),
        "ts_ms_utc": pa.array(column(lambda: rnd.randrange(-2**50, 2**50)), pa.timestamp("ms", "UTC")),
        "ts_us_paris": pa.array(column(lambda: rnd.randrange(-2**55, 2**55)), pa.timestamp("us", "Europe/Paris")),
        "ts_ns_utc": pa.array(column(lambda: rnd.randrange(-2**62, 2**62)), pa.timestamp("ns", "UTC")),
        "dur_us": pa.array(column(lambda: rnd.randrange(-2**62, 2**62)), pa.duration("us")),
        "dec5_2": pa.array(column(lambda: decimal.Decimal(rnd.randrange(-99_999, 100_000)).scaleb(-2),
                                  (decimal.Decimal("999.99"), decimal.Decimal("-999.99"))), pa.decimal128(5, 2)),
        "dec18_4": pa.array(column(lambda: decimal.Decimal(rnd.randrange(-10**18 + 1, 10**18)).scaleb(-4)),
                            pa.decimal128(18, 4)),
        "dec38_10": pa.array(column(lambda: decimal.Decimal(rnd.randrange(-10**38 + 1, 10**38)).scaleb(-10),
                                    (decimal.Decimal(10**38 - 1).scaleb(-10),
                                     decimal.Decimal(-(10**38) + 1).scaleb(-10))),
                             pa.decimal128(38, 10)),
        "dec76_5": pa.array(column(lambda: decimal.Decimal(rnd.randrange(-10**76 + 1, 10**76)).scaleb(-5),
                                   (decimal.Decimal(10**76 - 1).scaleb(-5),)), pa.decimal256(76, 5)),
        "dict_s": pa.array(column(lambda: rnd.choice(["low", "mid", "high", "", "ζ"])),
                           pa.string()).dictionary_encode(),
        "f16": pa.array(column(lambda: rnd.uniform(-1000, 1000)), pa.float16())
        if hasattr(pa, "float16") else pa.array([rnd.uniform(-1000, 1000) for _ in range(rows)],
                                                 pa.float32()).cast(pa.float16()),
        "uuid": pa.array(column(lambda: blob(16)), pa.uuid()),
        "json": pa.array(column(lambda: '{"k": %d}' % rnd.randrange(1000)), pa.json_()),
        "all_null": pa.array([None] * rows, pa.int64()),
        "req_i64": pa.array([rnd.randrange(-2**63, 2**63) for _ in range(rows)], pa.int64()),
        "req_s": pa.array([text() for _ in range(rows)], pa.string()),
    }
    table = pa.table(data)
    fields = [f.with_nullable(False) if f.name.startswith("req_") else f for f in table.schema]
    return table.cast(pa.schema(fields))


def documented_type(t):
    """The Arrow type Sluice serves for a column pyarrow reads as t (ParquetArrowSchema's table)."""
    if isinstance(t, pa.BaseExtensionType):
        return documented_type(t.storage_type)
    if pa.types.is_dictionary(t):
        return documented_type(t.value_type)
    if pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return pa.string()
    if pa.types.is_large_binary(t) or pa.types.is_binary_view(t):
        return pa.binary()
    if pa.types.is_timestamp(t):
        unit = "ms" if t.unit == "s" else t.unit  # Parquet has no seconds: pyarrow writes milliseconds
        return pa.timestamp(unit, "UTC" if t.tz is not None else None)
    if pa.types.is_date64(t):
        return pa.date32()
    if pa.types.is_time32(t):
        return pa.time32("ms")
    if pa.types.is_duration(t):
        return pa.int64()
    if pa.types.is_decimal(t) and t.bit_width < 128:
        return pa.decimal128(t.precision, t.scale)
    return t


def documented(table):
    columns = []
    fields = []
    for field, column in zip(table.schema, table.columns):
        target = documented_type(field.type)
        column = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
        if isinstance(column.type, pa.BaseExtensionType):
            column = column.storage
        if pa.types.is_duration(column.type):
            column = column.view(pa.int64())
        if column.type != target:
            column = column.cast(target)
        columns.append(column)
        fields.append(pa.field(field.name, target, field.nullable))
    return pa.Table.from_arrays(columns, schema=pa.schema(fields))


def expected_reading(path):
    return documented(pq.read_table(path, coerce_int96_timestamp_unit="us"))


def save(name, path, out):
    table = expected_reading(path)
    with pa.ipc.new_file(os.path.join(out, name + ".arrow"), table.schema) as writer:
        writer.write_table(table, max_chunksize=777)
    MANIFEST.append((name, "identical", ""))


def write(out, name, table, **options):
    path = os.path.join(out, name + ".parquet")
    pq.write_table(table, path, **options)
    save(name, path, out)


def write_refused(out, name, word, writer):
    path = os.path.join(out, name + ".parquet")
    writer(path)
    MANIFEST.append((name, "refused", word))


def codecs_encodings_and_pages(out):
    table = flat_table(ROWS, 1)
    pages = {"data_page_size": 4096, "row_group_size": 700}
    for codec in CODECS:
        for version in ("1.0", "2.0"):
            for dictionary in (True, False):
                name = "types_%s_v%s_%s" % (codec, version[0], "dict" if dictionary else "plain")
                write(out, name, table, compression=codec, data_page_version=version, use_dictionary=dictionary,
                      **pages)
    for version in ("1.0", "2.0"):
        v = version[0]
        split = [f.name for f in table.schema if not (pa.types.is_boolean(documented_type(f.type))
                                                      or pa.types.is_string(documented_type(f.type))
                                                      or pa.types.is_binary(documented_type(f.type)))]
        write(out, "types_byte_stream_split_v" + v, table, use_dictionary=False, use_byte_stream_split=split,
              data_page_version=version, compression="snappy", **pages)
        write(out, "types_tiny_pages_v" + v, table, data_page_size=64, row_group_size=37, write_batch_size=5,
              data_page_version=version, compression="zstd")
        write(out, "types_checksums_v" + v, table, write_page_checksum=True, data_page_version=version,
              compression="snappy", write_page_index=True, **pages)
        write(out, "types_no_statistics_v" + v, table, write_statistics=False, data_page_version=version, **pages)
        for strings in ("DELTA_LENGTH_BYTE_ARRAY", "DELTA_BYTE_ARRAY"):
            encodings = {}
            for field in table.schema:
                t = documented_type(field.type)
                if pa.types.is_dictionary(field.type):
                    continue  # pyarrow cannot read DELTA_* pages back into a dictionary column
                if pa.types.is_integer(t) and t.bit_width >= 32 or pa.types.is_date(t) or pa.types.is_time(t) \
                        or pa.types.is_timestamp(t):
                    encodings[field.name] = "DELTA_BINARY_PACKED"
                elif pa.types.is_string(t) or pa.types.is_binary(t):
                    encodings[field.name] = strings
                elif strings == "DELTA_BYTE_ARRAY" and pa.types.is_fixed_size_binary(t):
                    encodings[field.name] = strings
            write(out, "types_%s_v%s" % (strings.lower(), v), table, use_dictionary=False,
                  column_encoding=encodings, data_page_version=version, compression="snappy", **pages)
    for parquet_version in ("1.0", "2.4", "2.6"):
        # Before 2.6 there are no nanoseconds: pyarrow truncates them to microseconds.
        write(out, "types_format_" + parquet_version.replace(".", "_"), table, version=parquet_version,
              allow_truncated_timestamps=True, coerce_timestamps=None if parquet_version == "2.6" else "us",
              **pages)


def empty_things(out):
    empty = flat_table(0, 2)
    for version in ("1.0", "2.0"):
        for dictionary in (True, False):
            write(out, "empty_v%s_%s" % (version[0], "dict" if dictionary else "plain"), empty,
                  data_page_version=version, use_dictionary=dictionary)
    nulls = pa.table({name: pa.nulls(300, column.type) for name, column in zip(flat_table(1, 3).column_names,
                                                                                flat_table(1, 3).columns)
                      if not name.startswith("req_")})
    for version in ("1.0", "2.0"):
        write(out, "all_nulls_v" + version[0], nulls, data_page_version=version, compression="snappy",
              data_page_size=512)
    # A directory source whose middle part holds no rows.
    directory = os.path.join(out, "dir_with_empty_part")
    os.makedirs(directory, exist_ok=True)
    parts = [flat_table(500, 4), flat_table(0, 5), flat_table(300, 6)]
    for index, part in enumerate(parts):
        pq.write_table(part, os.path.join(directory, "part-%d.parquet" % index), compression="snappy")
    save("dir_with_empty_part", directory, out)


def int96(out):
    """Legacy INT96 timestamps, Spark's sentinels included, read back as microseconds."""
    rnd = random.Random(7)
    epoch = datetime.datetime(1970, 1, 1)
    fixed = [
        datetime.datetime(1, 1, 1),
        datetime.datetime(9999, 12, 31, 23, 59, 59, 999999),
        datetime.datetime(1677, 9, 21, 0, 12, 43, 145224),  # one microsecond before the nanosecond range
        datetime.datetime(2262, 4, 11, 23, 47, 16, 854776),  # one after
        datetime.datetime(1582, 10, 4, 12),
        datetime.datetime(1970, 1, 1),
        datetime.datetime(1969, 12, 31, 23, 59, 59, 999999),
        None,
    ]
    micros = [None if d is None else (d - epoch) // datetime.timedelta(microseconds=1) for d in fixed]
    while len(micros) < 3000:
        micros.append(None if rnd.randrange(10) == 0 else rnd.randrange(-62_135_596_800_000_000,
                                                                         253_402_300_799_999_999))
    table = pa.table({"ts": pa.array(micros, pa.timestamp("us")),
                      "few": pa.array([micros[i % 8] for i in range(len(micros))], pa.timestamp("us"))})
    for dictionary in (True, False):
        for version in ("1.0", "2.0"):
            write(out, "int96_v%s_%s" % (version[0], "dict" if dictionary else "plain"), table,
                  use_deprecated_int96_timestamps=True, use_dictionary=dictionary, data_page_version=version,
                  store_schema=False, data_page_size=2048)


def extremes(out):
    """The largest and smallest values of every type where an overflow could hide."""
    d = decimal.Decimal
    table = pa.table({
        "u64": pa.array([0, 1, 2**63 - 1, 2**63, 2**63 + 1, 2**64 - 1, None], pa.uint64()),
        "u32": pa.array([0, 1, 2**31 - 1, 2**31, 2**31 + 1, 2**32 - 1, None], pa.uint32()),
        "i64": pa.array([-2**63, -2**63 + 1, -1, 0, 2**63 - 2, 2**63 - 1, None], pa.int64()),
        "dec1": pa.array([d(-9), d(9), d(0), d(-1), d(1), d(5), None], pa.decimal128(1, 0)),
        "dec9_2": pa.array([d("9999999.99"), d("-9999999.99"), d("0.01"), d("-0.01"), d(0), d(1), None],
                           pa.decimal128(9, 2)),
        "dec18": pa.array([d(10**18 - 1), d(-(10**18) + 1), d(0), d(2**59), d(-(2**59)), d(1), None],
                          pa.decimal128(18, 0)),
        "dec38": pa.array([d(10**38 - 1), d(-(10**38) + 1), d(2**64), d(-(2**64)), d(2**63), d(-1), None],
                          pa.decimal128(38, 0)),
        "dec38_38": pa.array([d(10**38 - 1).scaleb(-38), d(-(10**38) + 1).scaleb(-38), d(0), d(0), d(0),
                              d(0), None], pa.decimal128(38, 38)),
        "dec76": pa.array([d(10**76 - 1), d(-(10**76) + 1), d(2**128), d(-(2**128)), d(2**127), d(-1), None],
                          pa.decimal256(76, 0)),
        "d32": pa.array([-2**31, 2**31 - 1, 0, -1, 1, -719_162, None], pa.date32()),
        "t32ms": pa.array([0, 86_399_999, 1, 43_200_000, 0, 0, None], pa.time32("ms")),
        "t64ns": pa.array([0, 86_399_999_999_999, 1, 0, 0, 0, None], pa.time64("ns")),
        "ts_ns": pa.array([-2**63, 2**63 - 1, 0, -1, 1, 0, None], pa.timestamp("ns")),
        "ts_ms": pa.array([-2**63, 2**63 - 1, 0, -1, 1, 0, None], pa.timestamp("ms")),
        "f32": pa.array([float("nan"), float("inf"), float("-inf"), -0.0, 1.4e-45, 3.4028234663852886e38, None],
                        pa.float32()),
        "f64": pa.array([float("nan"), float("inf"), float("-inf"), -0.0, 5e-324, 1.7976931348623157e308, None],
                        pa.float64()),
    })
    for dictionary in (True, False):
        for as_integer in (True, False):
            write(out, "extremes_%s%s" % ("dict" if dictionary else "plain", "_int_decimals" if as_integer else ""),
                  table, use_dictionary=dictionary, store_decimal_as_integer=as_integer, data_page_version="2.0")


class InMemoryKms(pe.KmsClient if pe is not None else object):
    """A KMS for tests: the master keys live in this object; wrapping is base64 of key XOR master."""

    def __init__(self, _config):
        super().__init__()
        self.masters = {"footer": b"0123456789012345", "column": b"1234567890123450"}

    def wrap_key(self, key_bytes, master_key_identifier):
        master = self.masters[master_key_identifier]
        return base64.b64encode(bytes(a ^ b for a, b in zip(key_bytes, master))).decode("ascii")

    def unwrap_key(self, wrapped_key, master_key_identifier):
        master = self.masters[master_key_identifier]
        return bytes(a ^ b for a, b in zip(base64.b64decode(wrapped_key), master))


def encrypted(out):
    if pe is None:
        return
    table = flat_table(100, 8).select(["i64", "s"])
    factory = pe.CryptoFactory(lambda config: InMemoryKms(config))
    kms = pe.KmsConnectionConfig()
    for name, plaintext_footer in (("encrypted_footer", False), ("encrypted_columns_plaintext_footer", True)):
        config = pe.EncryptionConfiguration(footer_key="footer", column_keys={"column": ["s"]},
                                            plaintext_footer=plaintext_footer, double_wrapping=False)
        properties = factory.file_encryption_properties(kms, config)

        def writer(path, properties=properties):
            with pq.ParquetWriter(path, table.schema, encryption_properties=properties) as w:
                w.write_table(table)

        write_refused(out, name, "encrypted", writer)


def unsupported_types(out):
    table = pa.table({"id": pa.array([1, 2, 3], pa.int64()), "nothing": pa.nulls(3)})
    # pyarrow writes the null type as INT32 annotated UNKNOWN, which Sluice does not map.
    write_refused(out, "null_type_column", "nothing (optional int32 (UNKNOWN))",
                  lambda path: pq.write_table(table, path))


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    codecs_encodings_and_pages(out)
    empty_things(out)
    int96(out)
    extremes(out)
    encrypted(out)
    unsupported_types(out)
    with open(os.path.join(out, "manifest.tsv"), "w", encoding="utf-8") as manifest:
        for name, expect, word in MANIFEST:
            manifest.write("%s\t%s\t%s\n" % (name, expect, word))
    print("pyarrow %s wrote %d corpus entries to %s" % (pa.__version__, len(MANIFEST), out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
