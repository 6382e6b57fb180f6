"""Sluice for PyTorch users: a client of the broker's HTTP API and a grant's stream as an IterableDataset.

    import sluice
    client = sluice.connect("http://127.0.0.1:8470", token_file="lab.token")
    grant = client.grant(dataset_id, "medical-research")
    data = sluice.GrantDataset(client, grant["id"], features=["age", "bmi"], label="diagnosis", seed=7)

See examples/python/README.md.
"""
from .checkpoint import Checkpoint
from .client import Client, GrantStream, connect
from .dataset import GrantDataset
from .errors import SluiceError, StreamFailed
from .tensors import column_tensor, to_device

__all__ = ["connect", "Client", "GrantStream", "GrantDataset", "Checkpoint", "SluiceError", "StreamFailed",
           "column_tensor", "to_device"]
