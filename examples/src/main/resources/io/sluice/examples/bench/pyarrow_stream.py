#!/usr/bin/env python3
"""Reads one Sluice grant stream with pyarrow, as any Arrow client would, and reports it.

Used by `./sluice bench stream` (the pyarrow contender); also runnable by hand:

    SLUICE_TOKEN=... python3 pyarrow_stream.py http://127.0.0.1:8470/v1/grants/gr-.../stream

The body of the HTTP response (http.client decodes the chunked transfer encoding) goes through a
buffered reader into pyarrow.ipc.open_stream; every record batch is read and counted. Prints one
JSON line: bytes (of the IPC stream), rows, batches, seconds (from sending the request to the end
of the stream, by this process's own clock) and the pyarrow version.
"""
import io
import json
import os
import sys
import time
import urllib.parse
import http.client

import pyarrow as pa
import pyarrow.ipc


class CountingBody(io.RawIOBase):
    """The response body as a raw stream that counts the bytes read through it."""

    def __init__(self, response):
        self.response = response
        self.bytes = 0

    def readable(self):
        return True

    def readinto(self, buffer):
        n = self.response.readinto(buffer)
        self.bytes += n
        return n


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: SLUICE_TOKEN=... pyarrow_stream.py STREAM_URL")
    url = urllib.parse.urlsplit(sys.argv[1])
    token = os.environ.get("SLUICE_TOKEN")
    if not token:
        sys.exit("pyarrow_stream.py: set SLUICE_TOKEN to a bearer token for the grant")
    path = url.path + ("?" + url.query if url.query else "")
    started = time.perf_counter()
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=600)
    connection.request("GET", path, headers={"Authorization": "Bearer " + token})
    response = connection.getresponse()
    if response.status != 200:
        sys.exit("pyarrow_stream.py: the broker answered %d: %s" % (response.status, response.read()[:500]))
    body = CountingBody(response)
    reader = pa.ipc.open_stream(io.BufferedReader(body, buffer_size=1 << 20))
    rows = 0
    batches = 0
    for batch in reader:
        rows += batch.num_rows
        batches += 1
    seconds = time.perf_counter() - started
    connection.close()
    print(json.dumps({"bytes": body.bytes, "rows": rows, "batches": batches, "seconds": seconds,
                      "pyarrow": pa.__version__}))


if __name__ == "__main__":
    main()
