#!/usr/bin/env python3
"""Nested Parquet files and pyarrow's reading of each, for ParquetNestedPyarrowTest.

    parquet_nested.py OUTDIR            writes NAME.parquet files of every nested shape, each with
                                        NAME.arrow beside it: pyarrow's reading as an Arrow IPC file
    parquet_nested.py --read FILE...    writes FILE.arrow beside each given Parquet file

The data is FHIR-like (an encounter with a list of diagnoses, lab results as a map, tags as a list
of lists, ...) drawn at random with a fixed seed, with nulls at every level: null lists, empty
lists and null elements; null structs and structs of nulls; null maps, empty maps and null values.
Each layout varies dictionary encoding, data page version, codec, row groups and page size.
"""
import datetime
import random
import sys
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

ROWS = 1500
UTC_MICROS = pa.timestamp("us", tz="UTC")

CODING = pa.struct([("code", pa.string()), ("system", pa.string()), ("rank", pa.int32())])
SCHEMA = pa.schema([
    pa.field("id", pa.int64(), nullable=False),
    pa.field("encounter", pa.struct([
        ("status", pa.string()),
        ("period", pa.struct([("start", UTC_MICROS), ("end", UTC_MICROS)])),
        ("diagnosis", pa.list_(CODING)),
        ("cost", pa.decimal128(12, 2)),
    ])),
    pa.field("labs", pa.map_(pa.string(), pa.float64())),
    pa.field("tags", pa.list_(pa.list_(pa.string()))),
    pa.field("notes", pa.list_(pa.string())),
    pa.field("contacts", pa.list_(pa.map_(pa.string(), pa.string()))),
    pa.field("panels", pa.map_(pa.string(), pa.list_(pa.float64()))),
    pa.field("observations", pa.map_(pa.string(), pa.struct([("value", pa.float64()), ("unit", pa.string())]))),
    pa.field("scores", pa.list_(pa.list_(pa.list_(pa.int32())))),
    pa.field("flags", pa.list_(pa.bool_())),
    pa.field("codes", pa.list_(pa.field("code", pa.int16(), nullable=False)), nullable=False),
    pa.field("visits", pa.list_(pa.field("visit", pa.struct([
        pa.field("day", pa.date32(), nullable=False),
        pa.field("wards", pa.list_(pa.string())),
    ]), nullable=False))),
])

SYSTEMS = ["icd-10", "snomed", "loinc"]
FIRST_DAY = datetime.date(2019, 4, 1)
UNITS = ["mmol/L", "mg/dL", "g/L", None]
LAB_NAMES = ["hb", "crp", "na", "k", "glucose", "ldl", "hdl", "alt"]


def maybe(rng, p, value):
    """value, or None with probability p."""
    return None if rng.random() < p else value


def strings(rng, n, prefix, null_p=0.15):
    return [maybe(rng, null_p, f"{prefix}{rng.randrange(40)}") for _ in range(n)]


def row(rng, i):
    def coding():
        return maybe(rng, 0.1, {
            "code": maybe(rng, 0.1, f"{rng.choice('ABCDEFGHIJ')}{rng.randrange(10, 99)}.{rng.randrange(10)}"),
            "system": maybe(rng, 0.1, rng.choice(SYSTEMS)),
            "rank": maybe(rng, 0.2, rng.randrange(1, 5)),
        })

    def length(max_len=4):
        return rng.randrange(0, max_len + 1)

    start = 1_600_000_000_000_000 + rng.randrange(10**13)
    encounter = maybe(rng, 0.1, {
        "status": maybe(rng, 0.1, rng.choice(["planned", "in-progress", "finished", "cancelled"])),
        "period": maybe(rng, 0.15, {"start": maybe(rng, 0.1, start),
                                    "end": maybe(rng, 0.3, start + rng.randrange(10**10))}),
        "diagnosis": maybe(rng, 0.15, [coding() for _ in range(length())]),
        "cost": maybe(rng, 0.2, Decimal(rng.randrange(-10**9, 10**9)).scaleb(-2)),
    })
    labs = maybe(rng, 0.15, [(name, maybe(rng, 0.2, rng.uniform(0, 200)))
                             for name in rng.sample(LAB_NAMES, length(5))])
    tags = maybe(rng, 0.15, [maybe(rng, 0.15, strings(rng, length(3), "tag")) for _ in range(length(3))])
    notes = maybe(rng, 0.2, [maybe(rng, 0.1, "note " * rng.randrange(1, 6) + str(i)) for _ in range(length(2))])
    contacts = maybe(rng, 0.2, [maybe(rng, 0.15, [(f"k{j}", maybe(rng, 0.2, f"v{rng.randrange(100)}"))
                                                  for j in range(length(2))]) for _ in range(length(2))])
    panels = maybe(rng, 0.2, [(f"p{j}", maybe(rng, 0.2, [maybe(rng, 0.1, rng.uniform(-5, 5)) for _ in range(length(3))]))
                              for j in range(length(3))])
    observations = maybe(rng, 0.2, [(f"o{j}", maybe(rng, 0.2, {"value": maybe(rng, 0.2, rng.uniform(0, 10)),
                                                               "unit": rng.choice(UNITS)}))
                                    for j in range(length(3))])
    scores = maybe(rng, 0.1, [maybe(rng, 0.1, [maybe(rng, 0.1, [maybe(rng, 0.1, rng.randrange(-1000, 1000))
                                                                 for _ in range(length(2))])
                                               for _ in range(length(2))])
                              for _ in range(length(2))])
    flags = maybe(rng, 0.2, [maybe(rng, 0.2, rng.random() < 0.5) for _ in range(length(5))])
    codes = [rng.randrange(-30000, 30000) for _ in range(length(3))]
    visits = maybe(rng, 0.15, [{"day": FIRST_DAY + datetime.timedelta(days=rng.randrange(2000)), "wards": maybe(rng, 0.2, strings(rng, length(2), "w"))}
                               for _ in range(length(2))])
    return {"id": i, "encounter": encounter, "labs": labs, "tags": tags, "notes": notes, "contacts": contacts,
            "panels": panels, "observations": observations, "scores": scores, "flags": flags, "codes": codes,
            "visits": visits}


def table(seed):
    rng = random.Random(seed)
    rows = [row(rng, i) for i in range(ROWS)]
    return pa.Table.from_pylist(rows, schema=SCHEMA)


LAYOUTS = [
    # name, dictionary, data page version, codec, row group rows, page bytes, store the Arrow schema
    ("dict-v1-snappy", True, "1.0", "snappy", 400, 1024, True),
    ("plain-v1-zstd", False, "1.0", "zstd", 1000, 512, True),
    ("dict-v2-zstd", True, "2.0", "zstd", 333, 2048, False),
    ("plain-v2-snappy", False, "2.0", "snappy", 700, 256, True),
    ("dict-v2-none-one-group", True, "2.0", "none", ROWS, 1 << 20, False),
]


def write_arrow(parquet_file):
    read = pq.read_table(parquet_file).combine_chunks()
    arrow_file = Path(str(parquet_file)[: -len(".parquet")] + ".arrow")
    with pa.OSFile(str(arrow_file), "wb") as sink, pa.ipc.new_file(sink, read.schema) as writer:
        writer.write_table(read, max_chunksize=max(read.num_rows, 1))


def main(argv):
    if len(argv) >= 2 and argv[0] == "--read":
        for name in argv[1:]:
            write_arrow(name)
        return 0
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    out = Path(argv[0])
    out.mkdir(parents=True, exist_ok=True)
    data = table(seed=13)
    for name, dictionary, version, codec, group_rows, page_bytes, store_schema in LAYOUTS:
        parquet_file = out / f"nested-{name}.parquet"
        pq.write_table(data, parquet_file, use_dictionary=dictionary, data_page_version=version,
                       compression=codec, row_group_size=group_rows, data_page_size=page_bytes,
                       write_batch_size=64, store_schema=store_schema)
        write_arrow(parquet_file)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
