"""Arrow columns as torch tensors: zero-copy where Arrow's buffer already is the tensor's memory."""
import warnings

import numpy as np
import pyarrow as pa
import torch

# Arrow types whose values are plain integers underneath, with the integer type of the same width.
_TEMPORAL_STORAGE = {32: pa.int32(), 64: pa.int64()}
# torch 1.13 has no unsigned integers wider than 8 bits: these widen to int64 (a copy).
_WIDENED = {pa.uint16(), pa.uint32(), pa.uint64()}
# Arrow's buffers are read-only and the tensors share them (see column_tensor), which torch warns of on
# every from_numpy of such an array. Only that message is silenced; once, not per batch (catch_warnings
# per batch costs more than the conversion).
warnings.filterwarnings("ignore", message="The given NumPy array is not writable", category=UserWarning)


def has_tensor_form(arrow_type):
    """Whether :func:`column_tensor` can turn a column of this type into a tensor."""
    return (pa.types.is_integer(arrow_type) or pa.types.is_floating(arrow_type) or pa.types.is_boolean(arrow_type)
            or _is_temporal(arrow_type))


def column_tensor(name, array):
    """One Arrow column as a 1-d tensor.

    Non-null numbers and temporal values (as their integer count of days or time units) share
    Arrow's buffer, without a copy; the tensor then keeps the record batch's memory alive and must
    not be written in place. Booleans are unpacked from Arrow's bits (a copy). Nulls in a float
    column become NaN (a copy); nulls in any other column raise ``ValueError`` naming it, as does a
    type without a tensor form (strings, lists, structs: leave them out, or use ``transform=``).
    """
    arrow_type = array.type
    if not has_tensor_form(arrow_type):
        raise TypeError(f"column {name!r} is {arrow_type}, which has no tensor form: leave it out of the columns,"
                        " or turn it into numbers with transform=")
    if array.null_count:
        if not pa.types.is_floating(arrow_type):
            raise ValueError(f"column {name!r} has {array.null_count} nulls in a batch of {len(array)} rows, and "
                             f"{arrow_type} has no NaN to stand for them: fill them in transform=, or ask the data "
                             "owner for a policy that drops those rows")
        return torch.from_numpy(array.to_numpy(zero_copy_only=False))
    if pa.types.is_boolean(arrow_type):
        return torch.from_numpy(array.to_numpy(zero_copy_only=False))
    if _is_temporal(arrow_type):
        array = array.view(_TEMPORAL_STORAGE[arrow_type.bit_width])
    if arrow_type in _WIDENED:
        return torch.from_numpy(array.to_numpy(zero_copy_only=True).astype(np.int64))
    return torch.from_numpy(array.to_numpy(zero_copy_only=True))


def _is_temporal(arrow_type):
    return (pa.types.is_date(arrow_type) or pa.types.is_timestamp(arrow_type) or pa.types.is_time(arrow_type)
            or pa.types.is_duration(arrow_type))


def to_device(batch, device):
    """Moves every tensor in ``batch`` (a tensor, or dicts, lists and tuples of them) to ``device``
    with ``non_blocking=True``: from pinned memory the copy overlaps the work already queued."""
    if isinstance(batch, torch.Tensor):
        return batch.to(device, non_blocking=True)
    if isinstance(batch, dict):
        return {key: to_device(value, device) for key, value in batch.items()}
    if isinstance(batch, (list, tuple)):
        return type(batch)(to_device(value, device) for value in batch)
    return batch


def pin(batch):
    """Copies every tensor in ``batch`` into page-locked host memory (only meaningful with CUDA)."""
    if isinstance(batch, torch.Tensor):
        return batch.pin_memory()
    if isinstance(batch, dict):
        return {key: pin(value) for key, value in batch.items()}
    if isinstance(batch, (list, tuple)):
        return type(batch)(pin(value) for value in batch)
    return batch
