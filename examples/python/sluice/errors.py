"""What can go wrong talking to a Sluice broker, as exceptions that carry the broker's own words."""


class SluiceError(Exception):
    """The broker refused a request, or answered with an error.

    Carries the broker's JSON error envelope: ``status`` (HTTP), ``code`` (the broker's numeric
    code), ``error`` (its snake_case name, e.g. ``forbidden``), ``message``, ``request_id`` (quote it
    to the broker's operator) and ``reasons`` (a policy refusal's coded reasons, each a dict with
    ``code`` and ``message``; empty otherwise).
    """

    def __init__(self, message, status=None, code=None, error=None, request_id=None, reasons=()):
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.error = error
        self.request_id = request_id
        self.reasons = list(reasons)

    @property
    def reason_codes(self):
        """The codes of the refusal's reasons, e.g. ``['PURPOSE_NOT_PERMITTED']``."""
        return [reason.get("code") for reason in self.reasons]

    @classmethod
    def from_response(cls, method, path, status, body):
        """Builds the error from a response's status and body (a JSON envelope, or anything else)."""
        import json

        try:
            envelope = json.loads(body)
        except ValueError:
            envelope = None
        if not isinstance(envelope, dict):
            text = body.decode("utf-8", "replace").strip()[:200]
            return cls(f"{method} {path}: HTTP {status}" + (f": {text}" if text else ""), status=status)
        reasons = envelope.get("reasons") or []
        detail = "; ".join(f"{r.get('code')}: {r.get('message')}" for r in reasons if isinstance(r, dict))
        message = f"{method} {path}: {status} {envelope.get('error')}: {envelope.get('message')}"
        if detail:
            message += f" ({detail})"
        if envelope.get("requestId"):
            message += f" [request {envelope.get('requestId')}]"
        return cls(message, status=status, code=envelope.get("code"), error=envelope.get("error"),
                   request_id=envelope.get("requestId"), reasons=reasons)


class StreamFailed(SluiceError):
    """A grant stream's body ended without the broker having completed it.

    ``stream_id`` is the broker's id of the stream; ``stream_status`` what ``GET /v1/streams/{id}``
    said (``aborted``, ``interrupted``, ``running``; ``None`` when it could not be asked);
    ``failure`` the broker's kind of cause (``source``, ``client``, ``revoked``, ``expired``,
    ``shutdown``, ``error``) and ``message`` its reason. ``retryable`` is false when a new stream
    would fail the same way: a bad source, or a grant that was revoked or expired.
    """

    FINAL_FAILURES = frozenset({"source", "revoked", "expired"})

    def __init__(self, message, stream_id=None, stream_status=None, failure=None, position=None):
        super().__init__(message, error="stream_failed")
        self.stream_id = stream_id
        self.stream_status = stream_status
        self.failure = failure
        self.position = position

    @property
    def retryable(self):
        return self.failure not in self.FINAL_FAILURES
