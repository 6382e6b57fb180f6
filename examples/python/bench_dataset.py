#!/usr/bin/env python3
"""Throughput of sluice.GrantDataset against pyarrow reading the same grant stream directly.

    bench_dataset.py --broker URL --sources DIR [--rows N] [--runs R]        # a broker with the dev issuer
    bench_dataset.py --broker URL --grant ID --token-file F [--runs R]       # any grant you hold

Without --grant, writes a synthetic patients table (--rows, default 6,000,000: about 330 MB of
Arrow once the policy drops `name`) into DIR/hospital-a/ with pyarrow (kept for the next run),
registers it with the development token issuer and takes a grant. Then, alternating in this one
process (order rotating, --warmup rounds not counted):

- pyarrow: ``pyarrow.ipc.open_stream`` over an ``http.client`` response, every batch read;
- dataset: ``GrantDataset`` over the same stream, every batch turned into a dict of CPU tensors
  (zero-copy where Arrow allows; bmi's nulls become NaN, a copy; booleans unpack, a copy);
- dataset+features: ``GrantDataset(features=..., label=...)``, a float32 matrix stacked per batch
  (a copy a training loop needs anyway; reported for scale, not in the ratio).

Prints rows/s and MB/s (bytes of the stream's body, as the broker recorded them) per contender,
medians with min and max, this process's CPU seconds per GB of body, and the ratio dataset / pyarrow
(of median times), also as one JSON line at the end.
"""
import argparse
import http.client
import json
import statistics
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.ipc
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent))
import sluice  # noqa: E402

FEATURES = ["age", "systolic_bp", "cholesterol", "glucose", "bmi"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--broker", required=True)
    parser.add_argument("--grant")
    parser.add_argument("--token-file")
    parser.add_argument("--sources", help="the broker's sources directory (without --grant)")
    parser.add_argument("--rows", type=int, default=6_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1)
    args = parser.parse_args()

    if args.grant:
        if not args.token_file:
            parser.error("--grant needs --token-file")
        token = Path(args.token_file).read_text().strip()
        grant = args.grant
    else:
        if not args.sources:
            parser.error("give --grant and --token-file, or --sources to set one up with the development issuer")
        token, grant = set_up(args.broker, Path(args.sources), args.rows)
    client = sluice.connect(args.broker, token=token)

    contenders = {
        "pyarrow": lambda: read_with_pyarrow(args.broker, grant, token),
        "dataset": lambda: read_with_dataset(sluice.GrantDataset(client, grant, rank=0, world_size=1)),
        "dataset+features": lambda: read_with_dataset(sluice.GrantDataset(
            client, grant, rank=0, world_size=1, features=FEATURES, label="diagnosis"), key="label"),
    }
    body_bytes = None
    seconds = {name: [] for name in contenders}
    cpu = {name: [] for name in contenders}
    rows_seen = {}
    names = list(contenders)
    for round_ in range(args.warmup + args.runs):
        order = names[round_ % len(names):] + names[:round_ % len(names)]
        for name in order:
            started, cpu_started = time.perf_counter(), time.process_time()
            rows, stream_bytes = contenders[name]()
            elapsed, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
            rows_seen.setdefault(name, rows)
            if rows != rows_seen[name]:
                raise SystemExit(f"{name} read {rows} rows, earlier {rows_seen[name]}")
            if stream_bytes is not None:
                body_bytes = stream_bytes
            if round_ >= args.warmup:
                seconds[name].append(elapsed)
                cpu[name].append(cpu_seconds)
            print(f"round {round_ + 1}{' (warm-up)' if round_ < args.warmup else ''}  {name:17s} "
                  f"{elapsed:6.2f} s  {rows / elapsed / 1e6:6.2f} M rows/s", file=sys.stderr)

    report = {"grant": grant, "rows": rows_seen["pyarrow"], "bytes": body_bytes, "runs": args.runs,
              "versions": {"pyarrow": pa.__version__, "numpy": np.__version__, "torch": __import__("torch").__version__}}
    print(f"{'contender':18s} {'M rows/s median (min-max)':28s} {'MB/s median (min-max)':24s} client CPU s/GB")
    for name, times in seconds.items():
        rates = [rows_seen[name] / t / 1e6 for t in times]
        mbs = [body_bytes / t / 1e6 for t in times]
        cpu_per_gb = statistics.median(cpu[name]) / (body_bytes / 1e9)
        report[name] = {"rowsPerSecond": statistics.median(rates) * 1e6, "mbPerSecond": statistics.median(mbs),
                        "mbPerSecondMin": min(mbs), "mbPerSecondMax": max(mbs), "clientCpuSecondsPerGb": cpu_per_gb}
        print(f"{name:18s} {statistics.median(rates):6.2f} ({min(rates):.2f}-{max(rates):.2f})"
              f"{'':11s} {statistics.median(mbs):6.0f} ({min(mbs):.0f}-{max(mbs):.0f}){'':12s} {cpu_per_gb:.2f}")
    report["ratio"] = statistics.median(seconds["pyarrow"]) / statistics.median(seconds["dataset"])
    print(f"dataset / pyarrow (median times): {report['ratio']:.3f}")
    print(json.dumps(report))


def read_with_pyarrow(broker, grant, token):
    """The plainest Arrow client: one GET, pyarrow reads the body; returns rows and the body's bytes."""
    url = urllib.parse.urlsplit(broker)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=120)
    try:
        connection.request("GET", f"/v1/grants/{grant}/stream?shard=0&shards=1&epoch=0",
                           headers={"Authorization": "Bearer " + token})
        response = connection.getresponse()
        if response.status != 200:
            raise SystemExit(f"stream: HTTP {response.status}: {response.read()[:300]!r}")
        stream_id = response.getheader("Sluice-Stream-Id")
        rows = 0
        for batch in pyarrow.ipc.open_stream(response):
            rows += batch.num_rows
        response.read()  # the end of the HTTP body: the broker has recorded the stream by then
    finally:
        connection.close()
    status = json.loads(call(broker, "GET", f"/v1/streams/{stream_id}", token=token))
    return rows, status["bytes"]


def read_with_dataset(dataset, key="patient_id"):
    rows = 0
    for item in dataset:
        rows += item[key].shape[0]
    return rows, None


def set_up(broker, sources, rows):
    """A patients table in the owner's sources (written once), registered, and a grant on it."""
    path = sources / "hospital-a" / f"bench-patients-{rows}.parquet"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        write_patients(path.with_suffix(".tmp"), rows)
        path.with_suffix(".tmp").rename(path)
    owner = dev_token(broker, "hospital-a", "data-owner")
    lab = dev_token(broker, "ai-lab", "data-consumer")
    registration = {"name": f"{path.stem}-{time.time_ns()}", "source": {"type": "parquet", "path": path.name}, "policy": {
        "@type": "Set", "permission": [{"action": "use", "duty": [{"action": "sluice:drop", "target": ["name"]}],
                                        "constraint": [{"leftOperand": "purpose", "operator": "isAnyOf",
                                                        "rightOperand": ["medical-research"]}]}]}}
    dataset = json.loads(call(broker, "POST", "/v1/datasets", registration, owner))["id"]
    grant = sluice.connect(broker, token=lab).grant(dataset, "medical-research")["id"]
    return lab, grant


def write_patients(path, rows):
    """Like the demo's hospital table: ids, a name, age, sex, four measurements (bmi 2 % null), consent, diagnosis."""
    random = np.random.default_rng(7)
    group = 131_072
    schema = None
    writer = None
    try:
        for start in range(0, rows, group):
            n = min(group, rows - start)
            bmi = random.normal(27, 5, n)
            table = pa.table({
                "patient_id": pa.array(np.arange(start, start + n, dtype=np.int64)),
                "name": pa.array([f"patient {i}" for i in range(start, start + n)]),
                "age": pa.array(random.integers(18, 95, n, dtype=np.int32)),
                "sex": pa.array(np.where(random.random(n) < 0.5, "F", "M")),
                "systolic_bp": pa.array(random.normal(125, 15, n)),
                "cholesterol": pa.array(random.normal(200, 30, n)),
                "glucose": pa.array(random.normal(100, 20, n)),
                "bmi": pa.array(bmi, mask=random.random(n) < 0.02),
                "consent": pa.array(random.random(n) < 0.9),
                "diagnosis": pa.array(random.integers(0, 2, n, dtype=np.int32)),
            })
            if writer is None:
                schema = table.schema
                writer = pq.ParquetWriter(path, schema)
            writer.write_table(table, row_group_size=group)
    finally:
        if writer is not None:
            writer.close()


def dev_token(broker, organisation, role):
    return json.loads(call(broker, "POST", "/v1/dev/token",
                           {"subject": "bench", "organisation": organisation, "roles": [role]}))["token"]


def call(broker, method, path, body=None, token=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    request = urllib.request.Request(broker.rstrip("/") + path, method=method, headers=headers,
                                     data=None if body is None else json.dumps(body).encode())
    with urllib.request.urlopen(request, timeout=120) as response:
        return response.read()


if __name__ == "__main__":
    main()
