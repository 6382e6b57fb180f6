"""A grant's stream as a ``torch.utils.data.IterableDataset``."""
import logging
import os
import time

import torch
import torch.utils.data

from .checkpoint import Checkpoint
from .errors import SluiceError, StreamFailed
from .tensors import column_tensor, has_tensor_form, pin

LOG = logging.getLogger(__name__)
# Answers worth another try: overload and gateways. Anything else 4xx is a refusal that will not change.
_RETRY_STATUSES = frozenset({429, 502, 503, 504})


class GrantDataset(torch.utils.data.IterableDataset):
    """Streams one grant's rows for one rank, one record batch at a time, as tensors.

    Each item is one of the broker's record batches (or a ``batch_rows`` slice of one; zero-row
    batches, which a row filter can leave, are passed over):

    - by default a dict ``{column: tensor}`` of ``columns`` (default: every column that has a
      tensor form; strings and nested types are left out);
    - with ``features=[...]`` (and optionally ``label=``), ``{"features": float tensor [rows,
      len(features)], "label": tensor [rows]}``;
    - with ``transform=``, whatever ``transform(record_batch)`` returns (a ``pyarrow.RecordBatch``
      in, anything out).

    Use it with ``DataLoader(dataset, batch_size=None)``: the batches are already batches.

    **Ranks.** ``rank`` and ``world_size`` default to ``torch.distributed``'s when it is
    initialised, else to the ``RANK`` and ``WORLD_SIZE`` environment variables, else to 0 and 1.
    Each rank reads its own disjoint share (``?shard=&shards=``); all ranks together read every row
    once. In a ``DataLoader`` with ``num_workers=W``, worker ``w`` of rank ``r`` reads shard
    ``r * W + w`` of ``world_size * W``, so workers never read the same rows either.

    **Epochs.** ``set_epoch(e)`` before each epoch (as with ``DistributedSampler``); with a ``seed``
    the broker deals the source's units in a permutation drawn per epoch, the same for the same
    seed, epoch and shard count.

    **Resume.** ``checkpoint()`` is the position after the last item handed out (a
    :class:`Checkpoint`; ``.token()`` is a short string); ``GrantDataset(..., resume=token)`` or
    ``load_state_dict(state_dict())`` continues right after it, no row repeated or skipped, provided
    the broker serves the same dataset version. Positions are counted in the process that
    iterates: exact with ``num_workers=0``; with workers, each worker's position lives in that
    worker, so keep epoch-level checkpoints there.

    **Dropped connections** are resumed at the exact position, up to ``max_retries`` times in a row
    without progress, with doubling backoff. A stream the broker ended for good (its source is bad,
    the grant was revoked or expired) raises :class:`StreamFailed` at once.

    **Pinned memory.** When CUDA is available (and ``pin_memory`` is not False) tensors are copied
    into page-locked memory, so ``to_device(batch, "cuda")`` copies them with ``non_blocking=True``
    while the GPU works. Without CUDA nothing is pinned: the tensors share the Arrow buffers. In
    DataLoader workers nothing is pinned either (CUDA does not start in a forked worker): give the
    DataLoader ``pin_memory=True`` and it pins in the main process.
    """

    def __init__(self, client, grant_id, columns=None, features=None, label=None, transform=None, rank=None,
                 world_size=None, epoch=0, seed=None, batch_rows=None, resume=None, pin_memory=None, max_retries=5,
                 backoff_seconds=0.5, features_dtype=torch.float32):
        super().__init__()
        if transform is not None and (columns is not None or features is not None or label is not None):
            raise ValueError("give transform= or columns=/features=/label=, not both")
        if columns is not None and (features is not None or label is not None):
            raise ValueError("give columns= or features=/label=, not both")
        if batch_rows is not None and batch_rows < 1:
            raise ValueError(f"batch_rows must be >= 1, was {batch_rows}")
        if max_retries < 0:
            raise ValueError(f"max_retries must be >= 0, was {max_retries}")
        self.client = client
        self.grant_id = grant_id
        self.columns = None if columns is None else list(columns)
        self.features = None if features is None else list(features)
        self.label = label
        self.transform = transform
        self.rank, self.world_size = _rank_and_world_size(rank, world_size)
        self.epoch = epoch
        self.seed = seed
        self.batch_rows = batch_rows
        self.pin_memory = torch.cuda.is_available() if pin_memory is None else bool(pin_memory)
        self.max_retries = max_retries
        self.backoff_seconds = backoff_seconds
        self.features_dtype = features_dtype
        self._resume = None
        self._at = Checkpoint(epoch, self.rank, self.world_size, seed)
        if resume is not None:
            self.load_state_dict({"checkpoint": str(resume)})

    # --- epochs and checkpoints ---------------------------------------------------------------

    def set_epoch(self, epoch):
        """The epoch the next iteration reads (a pending resume point is dropped)."""
        self.epoch = epoch
        self._resume = None

    def checkpoint(self):
        """The position after the last item this process handed out."""
        return self._at

    def state_dict(self):
        return {"checkpoint": self._at.token()}

    def load_state_dict(self, state):
        """The next iteration starts right after ``state``'s checkpoint (its epoch included)."""
        at = Checkpoint.parse(state["checkpoint"])
        if at.seed != self.seed:
            raise ValueError(f"checkpoint {at.token()} was taken with seed {at.seed}, this dataset has seed {self.seed}")
        self.epoch = at.epoch
        self._resume = at
        self._at = at

    # --- iteration -----------------------------------------------------------------------------

    def shard(self):
        """This process's (shard, shards): the rank's, split further among DataLoader workers."""
        worker = torch.utils.data.get_worker_info()
        if worker is None:
            return self.rank, self.world_size
        return self.rank * worker.num_workers + worker.id, self.world_size * worker.num_workers

    def __iter__(self):
        shard, shards = self.shard()
        start = self._resume
        self._resume = None
        if start is None:
            start = Checkpoint(self.epoch, shard, shards, self.seed)
        elif (start.shard, start.shards) != (shard, shards):
            raise ValueError(f"checkpoint {start.token()} is for shard {start.shard} of {start.shards}, but this "
                             f"process reads shard {shard} of {shards} (rank {self.rank} of {self.world_size})")
        self._at = start
        # Pinning needs CUDA, which a forked DataLoader worker may not start: there DataLoader(pin_memory=True)
        # pins in the main process instead.
        pinning = self.pin_memory and torch.utils.data.get_worker_info() is None
        for batch, position, rows in self._batches(start):
            if batch.num_rows == 0:
                # A source batch the policy left no rows of: it holds its position, but trains nothing.
                self._at = start.at(position, rows)
                continue
            item = self._convert(batch)
            if pinning:
                item = pin(item)
            self._at = start.at(position, rows)
            yield item

    def _batches(self, start):
        """(record batch or slice, position after it, rows of the next batch already handed out)."""
        position, skip = start.position, start.rows
        failures = 0
        while True:
            stream = None
            try:
                stream = self.client.stream(self.grant_id, shard=start.shard, shards=start.shards, epoch=start.epoch,
                                            seed=start.seed, from_batch=position)
                for batch in stream:
                    failures = 0
                    for piece, done in self._pieces(batch, skip):
                        skip = 0 if done else skip + piece.num_rows
                        yield piece, position + 1 if done else position, skip
                    skip = 0
                    position += 1
                return
            except SluiceError as e:
                failures += 1
                if not _retryable(e) or failures > self.max_retries:
                    raise
                wait = min(self.backoff_seconds * 2 ** (failures - 1), 30.0)
                LOG.warning("stream of grant %s (shard %d of %d, epoch %d) failed at batch %d; retry %d of %d in "
                            "%.1f s: %s", self.grant_id, start.shard, start.shards, start.epoch, position, failures,
                            self.max_retries, wait, e)
                time.sleep(wait)
            finally:
                if stream is not None:
                    stream.close()

    def _pieces(self, batch, skip):
        """The batch, or its ``batch_rows`` slices from row ``skip`` on; each with whether it ends the batch."""
        if self.batch_rows is None:
            yield batch, True
            return
        if batch.num_rows == 0:
            yield batch, True
            return
        offset = skip
        while offset < batch.num_rows:
            length = min(self.batch_rows, batch.num_rows - offset)
            yield batch.slice(offset, length), offset + length >= batch.num_rows
            offset += length

    def _convert(self, batch):
        if self.transform is not None:
            return self.transform(batch)
        if self.features is not None or self.label is not None:
            item = {}
            if self.features:
                columns = [column_tensor(name, batch.column(name)).to(self.features_dtype) for name in self.features]
                item["features"] = torch.stack(columns, dim=1)
            if self.label is not None:
                item["label"] = column_tensor(self.label, batch.column(self.label))
            return item
        names = self.columns
        if names is None:
            names = [field.name for field in batch.schema if has_tensor_form(field.type)]
        return {name: column_tensor(name, batch.column(name)) for name in names}


def _retryable(error):
    if isinstance(error, StreamFailed):
        return error.retryable
    return error.error == "broker_unreachable" or error.status in _RETRY_STATUSES


def _rank_and_world_size(rank, world_size):
    if rank is not None and world_size is not None:
        pass
    elif torch.distributed.is_available() and torch.distributed.is_initialized():
        rank = torch.distributed.get_rank() if rank is None else rank
        world_size = torch.distributed.get_world_size() if world_size is None else world_size
    else:
        rank = int(os.environ.get("RANK", 0)) if rank is None else rank
        world_size = int(os.environ.get("WORLD_SIZE", 1)) if world_size is None else world_size
    if world_size < 1 or not 0 <= rank < world_size:
        raise ValueError(f"rank must be in [0, world_size) and world_size >= 1, were {rank} and {world_size}")
    return rank, world_size
