"""What the tests need of a real broker: its address (SLUICE_URL), its sources directory
(SLUICE_SOURCES), development tokens, registered datasets, and a proxy that cuts a connection.

PythonClientIT starts the broker and sets both variables; to run the tests by hand, start
`./sluice serve --port 8470` and set SLUICE_URL=http://127.0.0.1:8470 SLUICE_SOURCES=data/sources.
"""
import json
import os
import socket
import threading
import urllib.request
import uuid
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

URL = os.environ.get("SLUICE_URL", "http://127.0.0.1:8470")
SOURCES = Path(os.environ.get("SLUICE_SOURCES", "data/sources"))
OWNER_ORGANISATION = "hospital-a"


def call(method, path, body=None, token=None):
    """One JSON request to the broker; returns the parsed answer, raising on an error status."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(URL + path, data=data, method=method, headers=headers)
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def dev_token(organisation, role, subject="python-tests"):
    return call("POST", "/v1/dev/token", {"subject": subject, "organisation": organisation, "roles": [role]})["token"]


def policy(purposes, row_filter=None):
    """Purposes allowed, the name column dropped, and optionally a row filter."""
    duties = [{"action": "sluice:drop", "target": ["name"]}]
    if row_filter:
        duties.append({"action": "sluice:rowFilter", "expression": row_filter})
    return {"@context": "http://www.w3.org/ns/odrl.jsonld", "@type": "Set",
            "permission": [{"action": "use", "duty": duties, "constraint": [
                {"leftOperand": "purpose", "operator": "isAnyOf", "rightOperand": list(purposes)}]}]}


def patients(rows):
    """patient_id 0..rows-1, a name (a string: no tensor form), age, bmi (every 7th null), diagnosis."""
    ids = pa.array(range(rows), pa.int64())
    return pa.table({
        "patient_id": ids,
        "name": pa.array([f"patient {i}" for i in range(rows)]),
        "age": pa.array([18 + i % 70 for i in range(rows)], pa.int32()),
        "bmi": pa.array([None if i % 7 == 0 else 18.0 + (i % 150) / 10 for i in range(rows)], pa.float64()),
        "diagnosis": pa.array([i % 2 for i in range(rows)], pa.int32()),
    })


def register(owner_token, table, row_group_rows, purposes=("medical-research",), row_filter=None):
    """Writes ``table`` as Parquet into the owner's sources and registers it; returns the dataset id."""
    name = "py-" + uuid.uuid4().hex[:12]
    path = SOURCES / OWNER_ORGANISATION / (name + ".parquet")
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, row_group_size=row_group_rows)
    return call("POST", "/v1/datasets", {"name": name, "source": {"type": "parquet", "path": path.name},
                                         "policy": policy(purposes, row_filter)}, owner_token)["id"]


class CuttingProxy:
    """A loopback TCP proxy to the broker that cuts the first grant stream it carries after
    ``cut_after`` bytes of the broker's answer, as a network would; everything else passes."""

    def __init__(self, cut_after):
        self.cut_after = cut_after
        self.cuts = 0
        self.streams = 0
        self._lock = threading.Lock()
        host, port = URL.split("//", 1)[1].rsplit(":", 1)
        self._upstream = (host, int(port))
        self._server = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._server.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self):
        self._server.close()

    def _accept(self):
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            threading.Thread(target=self._carry, args=(client,), daemon=True).start()

    def _carry(self, client):
        upstream = socket.create_connection(self._upstream)
        request = client.recv(65536)
        upstream.sendall(request)
        limit = None
        if b"/stream?" in request.split(b"\r\n", 1)[0]:
            with self._lock:
                self.streams += 1
                if self.cuts == 0:
                    self.cuts = 1
                    limit = self.cut_after
        threading.Thread(target=_pump, args=(client, upstream, None), daemon=True).start()
        _pump(upstream, client, limit)
        for end in (client, upstream):
            try:
                end.close()
            except OSError:
                pass


def _pump(source, target, limit):
    sent = 0
    try:
        while limit is None or sent < limit:
            data = source.recv(65536 if limit is None else min(65536, limit - sent))
            if not data:
                break
            target.sendall(data)
            sent += len(data)
    except OSError:
        pass
    finally:
        for end in (source, target):
            try:
                end.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
