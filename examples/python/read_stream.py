#!/usr/bin/env python3
"""Reads one Sluice grant stream with pyarrow, as any Arrow client would, and reports what came.

    read_stream.py URL TOKEN [--column NAME]... [--schema]

URL is the stream's full address (with ?shard=&shards=&epoch=&seed=&from= as wanted). Prints one
JSON object: the stream id and scheme the broker announced, the batches (zero-row ones included:
a source batch the policy left no rows of still holds its position), the rows, the bytes of the
body, and, with --column, the columns' values in the order they came ("columns", by name; the
first one's also as "values"; nested values as pyarrow's to_pylist gives them, a map as
[key, value] pairs); with --schema, the stream's Arrow schema as pyarrow prints it.
"""
import argparse
import json
import sys
import urllib.request

import pyarrow as pa


class CountingReader:
    """A file-like wrapper that counts the bytes pyarrow reads from the HTTP body."""

    def __init__(self, raw):
        self.raw = raw
        self.bytes = 0
        self.closed = False

    def read(self, size=-1):
        data = self.raw.read(size)
        self.bytes += len(data)
        return data

    def readable(self):
        return True


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("token")
    parser.add_argument("--column", action="append", default=[], help="report this column's values in order")
    parser.add_argument("--schema", action="store_true", help="report the stream's Arrow schema")
    args = parser.parse_args()

    request = urllib.request.Request(args.url, headers={"Authorization": "Bearer " + args.token})
    with urllib.request.urlopen(request, timeout=60) as response:
        body = CountingReader(response)
        reader = pa.ipc.open_stream(body)
        batches = rows = empty = 0
        columns = {name: [] for name in args.column}
        for batch in reader:
            batches += 1
            rows += batch.num_rows
            empty += batch.num_rows == 0
            for name, values in columns.items():
                values.extend(batch.column(name).to_pylist())
        json.dump({
            "stream": response.headers.get("Sluice-Stream-Id"),
            "scheme": response.headers.get("Sluice-Stream-Scheme"),
            "batches": batches,
            "emptyBatches": empty,
            "rows": rows,
            "bytes": body.bytes,
            "values": columns[args.column[0]] if args.column else [],
            "columns": columns,
            "schema": str(reader.schema) if args.schema else None,
        }, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
