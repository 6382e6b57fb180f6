"""A small client of the Sluice broker's HTTP API: catalog, grants, and grant streams read with pyarrow.

Standard library HTTP (``http.client``) and pyarrow only. One connection per request: a stream holds
its own connection for as long as it is read.
"""
import http.client
import json
import urllib.parse
from pathlib import Path

import pyarrow as pa

from .errors import SluiceError, StreamFailed

# The Arrow IPC end-of-stream marker: a continuation token and a zero length.
_END_OF_STREAM = b"\xff\xff\xff\xff\x00\x00\x00\x00"


def connect(url, token=None, token_file=None, timeout=60.0):
    """A client of the broker at ``url`` (e.g. ``http://127.0.0.1:8470``).

    ``token`` is a bearer token, or a callable returning one (called for every request, so it may
    renew it); ``token_file`` names a file holding one, read again for every request (so a token
    rotated on disk is picked up). ``timeout`` (seconds) bounds connecting and each read.
    """
    return Client(url, token=token, token_file=token_file, timeout=timeout)


class Client:
    """See :func:`connect`. Safe to share between threads and to pickle into DataLoader workers."""

    def __init__(self, url, token=None, token_file=None, timeout=60.0):
        if token is not None and token_file is not None:
            raise ValueError("give token or token_file, not both")
        parsed = urllib.parse.urlsplit(url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ValueError(f"broker url must be http://HOST[:PORT] or https://HOST[:PORT], was {url!r}")
        self.url = url.rstrip("/")
        self._scheme = parsed.scheme
        self._host = parsed.hostname
        self._port = parsed.port
        self._prefix = parsed.path.rstrip("/")
        self._token = token
        self._token_file = None if token_file is None else str(token_file)
        self.timeout = timeout

    def __repr__(self):
        return f"sluice.Client({self.url!r})"

    # --- the API -------------------------------------------------------------------------------

    def catalog(self, q=None, page_size=1000):
        """Every dataset the broker offers (matching ``q`` when given): a list of catalog entries (id,
        name, schema, rows, offer, ...). The broker answers in pages of at most ``page_size``; this
        follows them to the end."""
        entries, after = [], None
        while True:
            query = {"limit": str(page_size)}
            if q is not None:
                query["q"] = q
            if after is not None:
                query["after"] = after
            page = self._json("GET", "/v1/catalog?" + urllib.parse.urlencode(query))
            entries.extend(page["datasets"])
            after = page.get("next")
            if after is None:
                return entries

    def dataset(self, dataset_id):
        """One catalog entry."""
        return self._json("GET", "/v1/datasets/" + _segment(dataset_id))

    def grant(self, dataset, purpose, columns=None, project=None):
        """Asks for a grant on ``dataset`` for ``purpose``; returns it (``id``, ``columns``, ``schema``,
        ``expiresAt``, ...). A refusal raises :class:`SluiceError` with the policy's ``reasons``."""
        body = {"dataset": dataset, "purpose": purpose}
        if columns is not None:
            body["columns"] = list(columns)
        if project is not None:
            body["project"] = project
        return self._json("POST", "/v1/grants", body)

    def stream_status(self, stream_id):
        """What the broker says of one stream: ``status`` (``running``, ``completed``, ``aborted``,
        ``interrupted``), ``rows``, ``batches``, ``bytes``, ``sha256``, and for an aborted one
        ``message`` and ``failure``."""
        return self._json("GET", "/v1/streams/" + _segment(stream_id))

    def stream(self, grant_id, shard=0, shards=1, epoch=0, seed=None, from_batch=0):
        """Opens the stream of ``grant_id`` for ``shard`` of ``shards`` in ``epoch``, shuffled by
        ``seed`` (``None``: the broker's natural order), starting after the first ``from_batch``
        batches. Returns a :class:`GrantStream`; the caller closes it (or uses ``with``)."""
        query = {"shard": shard, "shards": shards, "epoch": epoch}
        if seed is not None:
            query["seed"] = seed
        if from_batch:
            query["from"] = from_batch
        path = "/v1/grants/" + _segment(grant_id) + "/stream?" + urllib.parse.urlencode(query)
        connection, response = self._send("GET", path, None)
        if response.status != 200:
            body = response.read()
            connection.close()
            raise SluiceError.from_response("GET", path, response.status, body)
        try:
            return GrantStream(self, connection, response, path, from_batch)
        except BaseException:
            connection.close()
            raise

    # --- plumbing ------------------------------------------------------------------------------

    def _bearer(self):
        if self._token_file is not None:
            return Path(self._token_file).read_text().strip()
        if callable(self._token):
            return self._token()
        return self._token

    def _send(self, method, path, body):
        if self._scheme == "https":
            connection = http.client.HTTPSConnection(self._host, self._port, timeout=self.timeout)
        else:
            connection = http.client.HTTPConnection(self._host, self._port, timeout=self.timeout)
        headers = {"Accept": "application/json, application/vnd.apache.arrow.stream"}
        token = self._bearer()
        if token:
            headers["Authorization"] = "Bearer " + token
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        try:
            connection.request(method, self._prefix + path, body=payload, headers=headers)
            return connection, connection.getresponse()
        except (OSError, http.client.HTTPException) as e:
            connection.close()
            raise SluiceError(f"{method} {path}: no answer from the broker at {self.url}: {e}",
                              error="broker_unreachable") from e

    def _json(self, method, path, body=None):
        connection, response = self._send(method, path, body)
        try:
            data = response.read()
        except (OSError, http.client.HTTPException) as e:
            raise SluiceError(f"{method} {path}: the broker's answer broke off: {e}", error="broker_unreachable") from e
        finally:
            connection.close()
        if response.status >= 400:
            raise SluiceError.from_response(method, path, response.status, data)
        return json.loads(data)


class GrantStream:
    """One grant stream being read: iterate it for ``pyarrow.RecordBatch`` es.

    ``stream_id`` and ``scheme`` are the broker's headers; ``schema`` the stream's Arrow schema;
    ``position`` the position of the next batch in the shard's order (``from_batch`` at the start);
    ``bytes`` the body bytes read so far.

    The end is checked, not assumed: when pyarrow sees the body end, the stream must have ended with
    the Arrow end-of-stream marker and the broker must say ``completed`` for it. Otherwise (and
    when the body breaks off) iteration raises :class:`StreamFailed` carrying the broker's
    ``message`` and ``failure``: a stream the broker cut at a batch boundary would look like a
    clean, shorter stream to pyarrow alone.
    """

    def __init__(self, client, connection, response, path, position):
        self._client = client
        self._connection = connection
        self._body = _Body(response)
        self.path = path
        self.stream_id = response.getheader("Sluice-Stream-Id")
        self.scheme = response.getheader("Sluice-Stream-Scheme")
        self.position = position
        self.completed = False
        try:
            self._reader = pa.ipc.open_stream(self._body)
        except Exception as e:  # noqa: BLE001 - whatever broke, the broker says why
            raise self._failed(f"its schema could not be read: {e}") from e
        self.schema = self._reader.schema

    @property
    def bytes(self):
        return self._body.bytes

    def __iter__(self):
        return self

    def __next__(self):
        if self.completed:
            raise StopIteration
        try:
            batch = self._reader.read_next_batch()
        except StopIteration:
            self._finish()
            raise
        except Exception as e:  # noqa: BLE001 - a reset, a truncated body, an undecodable batch
            raise self._failed(f"it broke off after {self._body.bytes} bytes: {e}") from e
        self.position += 1
        return batch

    def close(self):
        self._connection.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _finish(self):
        if self._body.tail != _END_OF_STREAM:
            raise self._failed(f"its body ended after {self._body.bytes} bytes without the Arrow end-of-stream marker")
        # The broker ends the HTTP body only after it recorded the stream's end: read to there before asking.
        self._body.drain()
        status = self._status()
        if status is None or status.get("status") != "completed":
            raise self._failed("the body ended, but the broker did not complete it", status, asked=True)
        self.completed = True
        self.close()

    def _status(self):
        try:
            return self._client.stream_status(self.stream_id)
        except SluiceError:
            return None

    def _failed(self, what, status=None, asked=False):
        self.close()
        if not asked:
            status = self._status() if self.stream_id else None
        message = f"stream {self.stream_id} ({self.path}) failed at batch {self.position}: {what}"
        if status is None:
            message += "; the broker could not be asked why"
            return StreamFailed(message, stream_id=self.stream_id, position=self.position)
        message += f"; the broker says {status.get('status')}"
        if status.get("status") == "completed":
            message += " (it sent the whole stream; the rest was lost on the way)"
        if status.get("failure"):
            message += f" (failure: {status['failure']})"
        if status.get("message"):
            message += f": {status['message']}"
        return StreamFailed(message, stream_id=self.stream_id, stream_status=status.get("status"),
                            failure=status.get("failure"), position=self.position)


class _Body:
    """The response body as the file pyarrow reads; counts bytes and keeps the last eight."""

    def __init__(self, response):
        self._response = response
        self.bytes = 0
        self.tail = b""
        self.closed = False

    def read(self, size=-1):
        data = self._response.read(None if size is None or size < 0 else size)
        if data:
            self.bytes += len(data)
            self.tail = (self.tail + data[-8:])[-8:]
        return data

    def drain(self):
        """Reads what follows the end-of-stream marker (nothing, from a well-behaved broker)."""
        self.read()

    def readable(self):
        return True


def _segment(value):
    return urllib.parse.quote(str(value), safe="")
