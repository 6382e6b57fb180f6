#!/usr/bin/env python3
"""Writes a FHIR-shaped nested Parquet file with pyarrow, and the same rows as JSON.

    fhir_encounters.py OUT.parquet OUT.json [--rows N]

Columns: id (int64), encounter struct<status, diagnosis list<struct<code, system, rank>>>,
labs map<string, double>, tags list<list<string>>, with nulls at every level; a fixed seed, small
row groups and pages so that a stream crosses several of each. The JSON is pyarrow's reading of
the file (to_pylist; a map as a list of [key, value] pairs), so a test compares with what pyarrow
reads, not with what it meant to write.
"""
import argparse
import json
import random

import pyarrow as pa
import pyarrow.parquet as pq

STATUSES = ["finished", "in-progress", "cancelled", None]
CODES = ["I10", "E11.9", "J45", "N18.3", "I25.1", "C50.9", None]
LABS = ["hba1c", "ldl", "crp", "egfr"]

SCHEMA = pa.schema([
    pa.field("id", pa.int64(), nullable=False),
    pa.field("encounter", pa.struct([
        pa.field("status", pa.string()),
        pa.field("diagnosis", pa.list_(pa.struct([
            pa.field("code", pa.string()),
            pa.field("system", pa.string()),
            pa.field("rank", pa.int32()),
        ]))),
    ])),
    pa.field("labs", pa.map_(pa.string(), pa.float64())),
    pa.field("tags", pa.list_(pa.list_(pa.string()))),
])


def encounter(rnd):
    if rnd.random() < 0.05:
        return None
    diagnosis = None
    if rnd.random() < 0.9:
        diagnosis = [None if rnd.random() < 0.05 else
                     {"code": rnd.choice(CODES), "system": "http://hl7.org/fhir/sid/icd-10",
                      "rank": rnd.randint(1, 5)}
                     for _ in range(rnd.randint(0, 4))]
    return {"status": rnd.choice(STATUSES), "diagnosis": diagnosis}


def labs(rnd):
    if rnd.random() < 0.1:
        return None
    return [(name, round(rnd.uniform(0, 200), 3)) for name in rnd.sample(LABS, rnd.randint(0, len(LABS)))]


def tags(rnd):
    if rnd.random() < 0.1:
        return None
    return [None if rnd.random() < 0.1 else [f"t{rnd.randint(0, 9)}" for _ in range(rnd.randint(0, 3))]
            for _ in range(rnd.randint(0, 3))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("parquet")
    parser.add_argument("json")
    parser.add_argument("--rows", type=int, default=5000)
    args = parser.parse_args()

    rnd = random.Random(13)
    rows = [{"id": i, "encounter": encounter(rnd), "labs": labs(rnd), "tags": tags(rnd)} for i in range(args.rows)]
    table = pa.Table.from_pylist(rows, schema=SCHEMA)
    pq.write_table(table, args.parquet, row_group_size=max(1, args.rows // 4), data_page_size=4096,
                   compression="zstd")
    with open(args.json, "w") as out:
        json.dump(pq.read_table(args.parquet).to_pylist(), out)


if __name__ == "__main__":
    main()
