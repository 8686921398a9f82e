"""Arrow arrays from Python and NumPy values, and back, without importing pandas.

pyarrow imports pandas (about a quarter of a second) the first time it converts anything:
``pa.array``, ``pa.scalar``, ``Array.to_numpy`` and a Python scalar handed to a compute
function all ask whether the value is a pandas object first. The streaming commands
(``labels``, ``captions``) build their small per-batch arrays through these helpers, which
go through Arrow buffers only, so a run never pays for pandas.

>>> import numpy as np
>>> strings(["a", "bé", ""]).to_pylist()
['a', 'bé', '']
>>> to_numpy(ints(np.array([3, -1], dtype=np.int32))).tolist()
[3, -1]
>>> import pyarrow.compute as pc
>>> to_numpy(pc.equal(strings(["x", "y"]), string("x"))).tolist()
[True, False]
>>> decoded(dictionary(np.array([1, 1, 0]), strings(["a", "b"]))).to_pylist()
['b', 'b', 'a']
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

Array = Any  # pyarrow.Array; pyarrow ships no type hints

_NUMPY_TYPES = {"int8", "int16", "int32", "int64", "uint8", "uint32", "uint64", "float64"}


def strings(values: Sequence[str]) -> Array:
    """A ``string`` array of Python strings (no nulls)."""
    import numpy as np
    import pyarrow as pa

    n = len(values)
    joined = "".join(values)
    if joined.isascii():
        data = joined.encode("ascii")
        lengths = np.fromiter(map(len, values), np.int64, n)
    else:
        encoded = [v.encode() for v in values]
        data = b"".join(encoded)
        lengths = np.fromiter(map(len, encoded), np.int64, n)
    offsets = np.zeros(n + 1, np.int64)
    np.cumsum(lengths, out=offsets[1:])
    if len(data) < 2**31:
        kind, offsets = pa.string(), offsets.astype(np.int32)
    else:  # more than 2 GiB of text: 64-bit offsets, then the usual type where it fits
        kind = pa.large_string()
    array = pa.Array.from_buffers(kind, n, [None, pa.py_buffer(offsets), pa.py_buffer(data)])
    return array if kind == pa.string() else array.cast(pa.string())


def string(text: str) -> Any:
    """A string scalar, for compute functions (a bare ``str`` would import pandas)."""
    return strings([text])[0]


def ints(values: Any) -> Array:
    """An Arrow array sharing the memory of a 1-d NumPy integer (or float64) array."""
    import numpy as np
    import pyarrow as pa

    values = np.ascontiguousarray(values)
    if values.dtype.name not in _NUMPY_TYPES:
        raise TypeError(f"no Arrow twin for dtype {values.dtype}")
    kind = pa.from_numpy_dtype(values.dtype)
    return pa.Array.from_buffers(kind, len(values), [None, pa.py_buffer(values)])


def bools(values: Any) -> Array:
    """A boolean Arrow array of a NumPy array of truth values."""
    import numpy as np
    import pyarrow as pa

    packed = np.packbits(np.asarray(values, dtype=bool), bitorder="little")
    return pa.Array.from_buffers(pa.bool_(), len(values), [None, pa.py_buffer(packed)])


def dictionary(indices: Any, values: Array) -> Array:
    """A dictionary array (``int32`` indices) of NumPy integer ``indices`` into ``values``:
    row ``i`` holds ``values[indices[i]]``. Its dictionary holds each value once (a
    Parquet writer takes such a dictionary as it is, and re-encodes every row otherwise).

    >>> import numpy as np
    >>> array = dictionary(np.array([2, 0, 1]), strings(["a", "b", "a"]))
    >>> array.dictionary.to_pylist(), array.indices.to_pylist()
    (['a', 'b'], [0, 0, 1])
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    indices = np.asarray(indices)
    unique = pc.dictionary_encode(values)
    if len(unique.dictionary) < len(values):
        indices = to_numpy(unique.indices)[indices]
        values = unique.dictionary
    positions = ints(indices.astype(np.int32, copy=False))
    return pa.DictionaryArray.from_arrays(positions, values)


def decoded(array: Array) -> Array:
    """The values of a dictionary array, row by row (any other array as it is)."""
    import pyarrow as pa

    if isinstance(array, pa.DictionaryArray):
        return array.dictionary.take(array.indices)
    return array


def to_numpy(array: Array) -> Any:
    """A NumPy copy-free view of a null-free integer, float or boolean Arrow array (a
    boolean one is unpacked into a new ``bool`` array)."""
    import numpy as np
    import pyarrow as pa

    if isinstance(array, pa.ChunkedArray):
        array = pa.concat_arrays(array.chunks) if array.num_chunks != 1 else array.chunk(0)
    if array.null_count:
        raise ValueError("to_numpy: the array has nulls")
    buffer = array.buffers()[1]
    n, offset = len(array), array.offset
    if pa.types.is_boolean(array.type):
        if buffer is None:
            return np.zeros(0, dtype=bool)
        bits = np.unpackbits(np.frombuffer(buffer, np.uint8), bitorder="little")
        return bits[offset : offset + n].astype(bool)
    dtype = np.dtype(array.type.to_pandas_dtype())
    if buffer is None:
        return np.zeros(0, dtype=dtype)
    return np.frombuffer(buffer, dtype, count=n, offset=offset * dtype.itemsize)
