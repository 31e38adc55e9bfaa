"""One binary blob of a JSON header and float32 / int32 arrays: what the explorer's
chart receives (docs/explorer-payload.md is the contract; this module its packer).

    blob = pack({"title": "Adam"}, {"runs/0/points": points})   # bytes
    header, arrays = unpack(blob)

Layout, little-endian: b"OPTV", uint32 version, uint32 header length H, the UTF-8
JSON header, zero bytes up to a multiple of 8, then each array at a multiple of 8
from the array section's start. The header gains an "arrays" table: name ->
{"offset", "shape", "dtype"}. Arrays rather than JSON lists because the browser reads
them as typed arrays without parsing, and the blob grows linearly with the numbers.
The header is strict JSON (no NaN or Infinity, which JSON.parse rejects): a missing
value lives in a float32 array as NaN, never in the header.
"""

from __future__ import annotations

import json
import struct

import numpy as np

MAGIC = b"OPTV"
VERSION = 1
ALIGN = 8  # Float32Array / Int32Array views need their element size; 8 leaves room
DTYPES = {"f4": np.dtype("<f4"), "i4": np.dtype("<i4")}
_PREFIX = struct.Struct("<4sII")  # magic, version, header length


class PayloadError(ValueError):
    """A blob or an array that the format does not allow."""


def _padded(n: int) -> int:
    return -(-n // ALIGN) * ALIGN


def _code(name: str, array: np.ndarray) -> str:
    """The format's name of `array`'s dtype ("f4" or "i4"); PayloadError for any other."""
    for code, dtype in DTYPES.items():
        if array.dtype.kind == dtype.kind and array.dtype.itemsize == dtype.itemsize:
            return code
    raise PayloadError(f"array {name!r} is {array.dtype}; the payload carries only float32 "
                       "(f4) and int32 (i4): convert it first, e.g. a.astype(np.float32)")


def pack(header: dict, arrays: dict[str, np.ndarray]) -> bytes:
    """`header` (JSON-serialisable, without NaN) and `arrays` as one blob.

    Arrays go in the order of `arrays`; each must already be float32 or int32 (a
    float64 is refused rather than silently halved). The header must not have its own
    "arrays" key: that is the table this adds.
    """
    if "arrays" in header:
        raise PayloadError('the header\'s "arrays" key is the table pack writes; rename it')
    table, chunks, offset = {}, [], 0
    for name, value in arrays.items():
        array = np.asarray(value)
        code = _code(name, array)
        data = np.ascontiguousarray(array, dtype=DTYPES[code]).tobytes()
        table[name] = {"offset": offset, "shape": list(array.shape), "dtype": code}
        chunks.append(data + bytes(_padded(len(data)) - len(data)))
        offset += _padded(len(data))
    try:
        text = json.dumps({"arrays": table, **header}, allow_nan=False, ensure_ascii=False,
                          separators=(",", ":"))
    except ValueError as e:  # NaN or infinity somewhere in the header
        raise PayloadError(f"the header must be strict JSON ({e}); put NaN in an array") from e
    except TypeError as e:  # e.g. a NumPy scalar: the caller converts, so nothing is guessed
        raise PayloadError(f"the header must be plain JSON values: {e}") from e
    head = text.encode("utf-8")
    start = _PREFIX.size + len(head)
    return b"".join([_PREFIX.pack(MAGIC, VERSION, len(head)), head,
                     bytes(_padded(start) - start), *chunks])


def unpack(blob: bytes) -> tuple[dict, dict[str, np.ndarray]]:
    """(header, arrays) of a blob made by `pack`; the arrays are read-only views of it.

    The header keeps its "arrays" table. PayloadError if the blob is not one.
    """
    blob = bytes(blob)
    if len(blob) < _PREFIX.size:
        raise PayloadError(f"a payload is at least {_PREFIX.size} bytes, got {len(blob)}")
    magic, version, length = _PREFIX.unpack_from(blob)
    if magic != MAGIC:
        raise PayloadError(f"not an optviz payload: it starts {magic!r}, not {MAGIC!r}")
    if version != VERSION:
        raise PayloadError(f"payload version {version}; this reads version {VERSION}")
    end = _PREFIX.size + length
    if end > len(blob):
        raise PayloadError(f"the header claims {length} bytes; the blob has {len(blob)}")
    header = json.loads(blob[_PREFIX.size:end].decode("utf-8"))
    section = _padded(end)
    arrays = {}
    for name, spec in header.get("arrays", {}).items():
        dtype = DTYPES.get(spec["dtype"])
        if dtype is None:
            raise PayloadError(f"array {name!r} has dtype {spec['dtype']!r}; expected f4 or i4")
        shape = tuple(spec["shape"])
        count = int(np.prod(shape, dtype=np.int64))
        at = section + spec["offset"]
        if spec["offset"] % ALIGN or at + count * dtype.itemsize > len(blob):
            raise PayloadError(f"array {name!r} lies outside the blob or off alignment")
        arrays[name] = np.frombuffer(blob, dtype, count, at).reshape(shape)
    return header, arrays
