"""Where a shard's stream stands, as the short token the Java loader uses too."""
import re
from dataclasses import dataclass, replace
from typing import Optional

_TOKEN = re.compile(r"v1\.e(\d{1,10})\.s(\d{1,10})of(\d{1,10})\.(noseed|seed(-?\d{1,19}))\.p(\d{1,19})(?:\.r(\d{1,19}))?")


@dataclass(frozen=True)
class Checkpoint:
    """Epoch, shard of shards, shuffle seed, and how many of the shard's batches were handed out.

    ``position`` counts the broker's record batches of this shard and epoch (zero-row ones too), so
    a stream opened with ``from=position`` continues with the next one; ``rows`` is how many rows
    of the batch at ``position`` were already handed out, when the dataset cuts batches smaller
    (``batch_rows``). The token (``v1.e3.s1of4.seed42.p17``, ``.r500`` appended only when ``rows``
    is not 0) is the same as the Java loader's ``Checkpoint.token()``.
    """

    epoch: int
    shard: int
    shards: int
    seed: Optional[int]
    position: int = 0
    rows: int = 0

    def __post_init__(self):
        if self.shards < 1:
            raise ValueError(f"shards must be >= 1, was {self.shards}")
        if not 0 <= self.shard < self.shards:
            raise ValueError(f"shard must be in [0, {self.shards}), was {self.shard}")
        if self.epoch < 0:
            raise ValueError(f"epoch must be >= 0, was {self.epoch}")
        if self.position < 0 or self.rows < 0:
            raise ValueError(f"position and rows must be >= 0, were {self.position} and {self.rows}")

    @classmethod
    def parse(cls, token):
        """Reads a token made by :meth:`token` (or by the Java loader)."""
        match = _TOKEN.fullmatch(token.strip())
        if not match:
            raise ValueError(f"not a checkpoint token (expected like v1.e3.s1of4.seed42.p17): {token}")
        seed = None if match.group(4) == "noseed" else int(match.group(5))
        return cls(epoch=int(match.group(1)), shard=int(match.group(2)), shards=int(match.group(3)), seed=seed,
                   position=int(match.group(6)), rows=int(match.group(7) or 0))

    def token(self):
        seed = "noseed" if self.seed is None else f"seed{self.seed}"
        rows = f".r{self.rows}" if self.rows else ""
        return f"v1.e{self.epoch}.s{self.shard}of{self.shards}.{seed}.p{self.position}{rows}"

    def at(self, position, rows=0):
        return replace(self, position=position, rows=rows)

    def __str__(self):
        return self.token()
