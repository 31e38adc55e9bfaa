"""The explorer's binary payload (docs/explorer-payload.md): layout, round trip, refusals."""

import json
import struct

import numpy as np
import pytest

from optviz import payload
from optviz.payload import PayloadError


def sample_arrays():
    return {
        "runs/0/points": np.array([[-5, -2], [np.nan, 1.5], [0.25, np.inf]], np.float32),
        "families/lr/steps": np.array([0, 7, 20], np.int32),
        "odd": np.arange(5, dtype=np.float32),  # 20 bytes: the next array needs padding
        "cube": np.arange(24, dtype=np.int32).reshape(2, 3, 4),
        "empty": np.zeros((0, 4), np.float32),
    }


def test_round_trip_keeps_header_shapes_dtypes_values_and_nan():
    header = {"title": "D2L quadratic", "formula": "f = 0.1 x₁² + 2 x₂²", "focus": 0,
              "diverged_at": None, "view": [[-6.0, 6.0], [-3.0, 3.0]]}
    arrays = sample_arrays()
    back, got = payload.unpack(payload.pack(header, arrays))
    assert {k: v for k, v in back.items() if k != "arrays"} == header
    assert list(got) == list(arrays) == list(back["arrays"])
    for name, a in arrays.items():
        assert got[name].dtype == a.dtype.newbyteorder("<") and got[name].shape == a.shape
        np.testing.assert_array_equal(got[name], a)  # NaN equals NaN here
        assert back["arrays"][name]["dtype"] == ("f4" if a.dtype.kind == "f" else "i4")


def test_layout_magic_version_header_length_and_8_byte_alignment():
    blob = payload.pack({"t": "é"}, sample_arrays())
    magic, version, length = struct.unpack_from("<4sII", blob)
    assert magic == b"OPTV" and version == 1
    header = json.loads(blob[12:12 + length].decode("utf-8"))
    section = -(-(12 + length) // 8) * 8
    assert set(blob[12 + length:section]) <= {0}  # zero padding
    for name, spec in header["arrays"].items():
        assert spec["offset"] % 8 == 0
        a = np.frombuffer(blob, "<" + spec["dtype"], int(np.prod(spec["shape"])),
                          section + spec["offset"])
        np.testing.assert_array_equal(a.reshape(spec["shape"]), sample_arrays()[name])
    last = header["arrays"]["empty"]
    assert len(blob) == section + last["offset"]  # nothing after the last array


def test_big_endian_input_is_written_little_endian():
    a = np.array([1.5, -2.0], dtype=">f4")
    blob = payload.pack({}, {"a": a})
    _, got = payload.unpack(blob)
    np.testing.assert_array_equal(got["a"], [1.5, -2.0])
    assert np.frombuffer(blob[-8:], "<f4").tolist() == [1.5, -2.0]


@pytest.mark.parametrize("dtype", [np.float64, np.int64, np.uint32, np.float16, np.bool_])
def test_other_dtypes_are_refused_by_name(dtype):
    with pytest.raises(PayloadError, match=r"'x' is .*float32 \(f4\) and int32 \(i4\)"):
        payload.pack({}, {"x": np.zeros(3, dtype)})


def test_the_header_is_strict_json():
    for bad in (float("nan"), float("inf")):
        with pytest.raises(PayloadError, match="strict JSON"):
            payload.pack({"value": bad}, {})
    with pytest.raises(PayloadError, match="plain JSON"):
        payload.pack({"value": np.float32(1)}, {})
    with pytest.raises(PayloadError, match="arrays"):
        payload.pack({"arrays": {}}, {})
    blob = payload.pack({"value": None}, {"a": np.full(2, np.nan, np.float32)})
    text = blob[12:12 + struct.unpack_from("<I", blob, 8)[0]].decode("utf-8")
    assert "NaN" not in text and "Infinity" not in text
    json.loads(text, parse_constant=lambda c: pytest.fail(f"non-strict JSON constant {c}"))


def test_unpack_refuses_what_is_not_a_payload():
    good = payload.pack({}, {"a": np.zeros(4, np.float32)})
    with pytest.raises(PayloadError, match="at least"):
        payload.unpack(b"OPT")
    with pytest.raises(PayloadError, match="not an optviz payload"):
        payload.unpack(b"PNG!" + good[4:])
    with pytest.raises(PayloadError, match="version 2"):
        payload.unpack(good[:4] + struct.pack("<I", 2) + good[8:])
    with pytest.raises(PayloadError, match="outside the blob"):
        payload.unpack(good[:-4])
    with pytest.raises(PayloadError, match="header claims"):
        payload.unpack(good[:8] + struct.pack("<I", 10**6) + good[12:])
