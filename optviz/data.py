"""Data sets for the trainer: the chapter's airfoil data, a synthetic set, uploaded CSVs.

Every loader returns a `Dataset` of float32 arrays. The airfoil set is prepared exactly
as the "Dive into Deep Learning" Adam chapter does (float32, every column standardized
over all 1503 rows, then the first `n` rows); an uploaded CSV is standardized the same
way. The synthetic set is left raw so that its known weights can be recovered.

Errors a user can cause raise `DataError`, whose message is one line a student
understands, e.g. "row 7, column 'speed': 'fast' is not a number" (rows are counted as
in a spreadsheet: the header is row 1). Without a network and without a cached copy,
`load_airfoil` raises `DataUnavailable`, so that the page can say so and offer the
synthetic set instead.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import hashlib
import http.client
import io
import logging
import math
import numbers
import os
import tempfile
import urllib.error
import urllib.request
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from optviz.validate import env_int

log = logging.getLogger(__name__)


class DataError(ValueError):
    """Data a user gave or asked for is not usable; the message is one line, in plain words."""


class DataUnavailable(RuntimeError):
    """The airfoil data set is neither cached nor downloadable (offline, say)."""


# eq=False: the generated __eq__ would compare arrays and raise "truth value is ambiguous".
@dataclass(frozen=True, eq=False)
class Dataset:
    name: str  # "airfoil", "synthetic", or the uploaded file's name
    features: np.ndarray  # (n, d) float32, standardized where the chapter does so
    labels: np.ndarray  # (n,) float32
    feature_names: tuple[str, ...]
    target_name: str
    true_weights: np.ndarray | None = None  # synthetic only: (d,), bias in true_bias
    true_bias: float | None = None


MIN_ROWS = 10
# Raised to the synthetic set's default size, so that the defaults stay valid.
MAX_ROWS = max(env_int("OPTVIZ_MAX_ROWS", 100_000), 1000)
_MB = 1024 * 1024
MAX_BYTES = env_int("OPTVIZ_MAX_UPLOAD_MB", 20) * _MB
MAX_FEATURES = 50  # of the synthetic set

# ------------------------------------------------------------------------ airfoil

AIRFOIL_URL = "http://d2l-data.s3-accelerate.amazonaws.com/airfoil_self_noise.dat"
AIRFOIL_UCI_URL = (
    "https://archive.ics.uci.edu/ml/machine-learning-databases/00291/airfoil_self_noise.dat"
)
DEFAULT_URLS = (AIRFOIL_URL, AIRFOIL_UCI_URL)
AIRFOIL_FILE = "airfoil_self_noise.dat"
AIRFOIL_ROWS = 1503
AIRFOIL_SHA1 = "76e5be1548fd8222e5074cf0faae75edff8cf93f"  # the D2L copy, CRLF line endings
# The UCI copy may have LF line endings. Derived once from the canonical file:
# hashlib.sha1(raw.replace(b"\r\n", b"\n")).hexdigest()
AIRFOIL_LF_SHA1 = "d9dfd00ed1ff52487b87aceb5ff20462d8e0801c"
AIRFOIL_FEATURES = (
    "frequency (Hz)",
    "angle of attack (deg)",
    "chord length (m)",
    "free-stream velocity (m/s)",
    "suction-side displacement thickness (m)",
)
AIRFOIL_TARGET = "scaled sound pressure level (dB)"
_MAX_DOWNLOAD = 1 << 20  # the file is 60 kB; reading more than this only wastes memory


def _cache_path(override: str | os.PathLike | None) -> Path:
    """Where the airfoil file is cached: in `override`, $OPTVIZ_DATA_DIR or ~/.cache/optviz."""
    chosen = override or os.environ.get("OPTVIZ_DATA_DIR") or Path.home() / ".cache" / "optviz"
    return Path(chosen).expanduser().absolute() / AIRFOIL_FILE


def load_airfoil(
    n: int = 1500,
    cache_dir: str | os.PathLike | None = None,
    urls: Sequence[str] = DEFAULT_URLS,
    timeout: float = 10.0,
) -> Dataset:
    """The chapter's airfoil data: the first `n` rows, standardized over all 1503.

    Downloads on first use (one try per URL, in order) and caches the verified file.
    """
    if not isinstance(n, numbers.Integral) or isinstance(n, bool) or not 1 <= n <= AIRFOIL_ROWS:
        raise DataError(f"n must be a whole number from 1 to {AIRFOIL_ROWS}, got {n!r}")
    path = _cache_path(cache_dir)
    try:
        features, labels = _airfoil_arrays(path, int(n))
    except _NotCached:
        _download(path, urls, timeout)
        features, labels = _airfoil_arrays(path, int(n))
    # Copies: the cached arrays are shared by every caller.
    return Dataset("airfoil", features.copy(), labels.copy(), AIRFOIL_FEATURES, AIRFOIL_TARGET)


class _NotCached(Exception):
    """No verified copy of the airfoil file at the cache path."""


def is_airfoil(raw: bytes) -> bool:
    """Whether `raw` is the airfoil file: the canonical bytes, or them with LF line endings."""
    return (
        hashlib.sha1(raw).hexdigest() == AIRFOIL_SHA1
        or hashlib.sha1(raw.replace(b"\r\n", b"\n")).hexdigest() == AIRFOIL_LF_SHA1
    )


# The page calls the loader often; parsing and hashing once per (path, n) is enough.
# A failure raises, so it is not cached.
@functools.lru_cache(maxsize=32)
def _airfoil_arrays(path: Path, n: int) -> tuple[np.ndarray, np.ndarray]:
    try:
        raw = path.read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        raise _NotCached from None
    except OSError as exc:
        raise DataUnavailable(f"cannot read the cached file {path}: {_reason(exc)}") from exc
    if not is_airfoil(raw):
        log.warning("refusing %s: its sha1 is not the airfoil data set's; fetching it again", path)
        with contextlib.suppress(OSError):  # if it stays, saving the download says why
            path.unlink(missing_ok=True)
        raise _NotCached
    # The chapter's code, verbatim (float32 throughout, numpy's ddof=0 std).
    data = np.genfromtxt(io.BytesIO(raw), dtype=np.float32, delimiter="\t")
    data = (data - data.mean(axis=0)) / data.std(axis=0)
    features, labels = data[:n, :-1], data[:n, -1]
    features, labels = np.ascontiguousarray(features), np.ascontiguousarray(labels)
    features.flags.writeable = labels.flags.writeable = False
    return features, labels


def _download(path: Path, urls: Sequence[str], timeout: float) -> None:
    """Fetch the first URL whose content verifies and store it at `path`, atomically."""
    tried = []
    for url in urls:
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:
                raw = response.read(_MAX_DOWNLOAD)
        except (OSError, http.client.HTTPException, ValueError) as exc:
            tried.append(f"{url} ({_reason(exc)})")
            continue
        if not is_airfoil(raw):
            tried.append(f"{url} (content is not the airfoil data set: sha1 mismatch)")
            continue
        _write_atomically(path, raw)
        return
    raise DataUnavailable(
        f"the airfoil data set could not be downloaded (offline?): tried "
        f"{'; '.join(tried) or 'no sources'}; it would be cached at {path}"
    )


def _write_atomically(path: Path, raw: bytes) -> None:
    # A temporary file and os.replace: concurrent first uses never see a partial file.
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=".airfoil-", suffix=".tmp")
        tmp = Path(name)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(raw)
            tmp.chmod(0o644)  # mkstemp's 0600 would hide a shared OPTVIZ_DATA_DIR's copy
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
    except OSError as exc:
        raise DataUnavailable(
            f"downloaded the airfoil data set but cannot save it to {path}: {_reason(exc)}; "
            f"set OPTVIZ_DATA_DIR to a writable folder"
        ) from exc


def _reason(exc: BaseException) -> str:
    """A short one-line reason for a failed download."""
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code}"
    if isinstance(exc, urllib.error.URLError):
        if isinstance(exc.reason, BaseException):
            return _reason(exc.reason)
        return " ".join(str(exc.reason).split())
    if isinstance(exc, TimeoutError):
        return "timed out"
    return " ".join(str(exc).split()) or type(exc).__name__


# ---------------------------------------------------------------------- synthetic


def synthetic(n: int = 1000, d: int = 5, noise: float = 0.1, seed: int = 0,
              weight_scale: float = 2.0, bias: float = 4.2) -> Dataset:
    """Linear data with known weights: labels = X w + b + noise · N(0, 1), X ~ N(0, 1).

    The weights are N(0, weight_scale²) draws with the seed, rounded to one decimal so a
    student can read them; the bias defaults to the D2L linear-regression chapter's 4.2.
    Not standardized, so that least squares recovers exactly these weights.
    """
    _check_int("n", n, MIN_ROWS, MAX_ROWS)
    _check_int("d", d, 1, MAX_FEATURES)
    _check_int("seed", seed, 0, None)
    if not isinstance(noise, numbers.Real) or not math.isfinite(noise) or noise < 0:
        raise DataError(f"noise must be a finite number ≥ 0, got {noise!r}")
    for name, v in (("weight_scale", weight_scale), ("bias", bias)):
        if not isinstance(v, numbers.Real) or isinstance(v, bool) or not math.isfinite(v):
            raise DataError(f"{name} must be a finite number, got {v!r}")
    if weight_scale < 0:
        raise DataError(f"weight_scale must be ≥ 0, got {weight_scale!r}")
    rng = np.random.default_rng(int(seed))
    weights = np.round(rng.normal(0.0, float(weight_scale), size=d), 1)
    bias = float(bias)
    features = rng.standard_normal((n, d))
    labels = features @ weights + bias + float(noise) * rng.standard_normal(n)
    return Dataset("synthetic", features.astype(np.float32), labels.astype(np.float32),
                   tuple(f"x{i + 1}" for i in range(d)), "y", true_weights=weights,
                   true_bias=bias)


# The trainer page's set, scaled for the chapter's run (Adam, lr 0.01, 300 steps of
# about lr each): every true parameter within reach (|w| ≤ 1, b = 1), noise σ = 0.3 far
# above lr-sized jitter. It starts ~30× above its noise floor and ends within ~1% of it.
SYNTHETIC_LIVE = {"n": 1500, "d": 5, "noise": 0.3, "seed": 0, "weight_scale": 1.5, "bias": 1.0}


def noise_floor(dataset: Dataset) -> float:
    """The least loss any line reaches: min over (w, b) of ‖Xw + b − y‖² / (2n), the
    trainer's loss, by least squares in float64."""
    X = np.hstack([dataset.features, np.ones((len(dataset.labels), 1))]).astype(np.float64)
    y = np.asarray(dataset.labels, dtype=np.float64)
    return float(np.mean((X @ np.linalg.lstsq(X, y, rcond=None)[0] - y) ** 2) / 2)


def airfoil_path() -> Path:
    """Where `load_airfoil` looks for (and caches) the file: airfoil_self_noise.dat in the
    folder $OPTVIZ_DATA_DIR, or in ~/.cache/optviz when OPTVIZ_DATA_DIR is not set."""
    return _cache_path(None)


def _check_int(name: str, value: object, low: int, high: int | None) -> None:
    ok = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if ok and value >= low and (high is None or value <= high):
        return
    span = f"from {low:,} to {high:,}" if high is not None else f"≥ {low}"
    raise DataError(f"{name} must be a whole number {span}, got {value!r}")


def load(name: str, **kwargs) -> Dataset:
    """The named data set: "airfoil" (see `load_airfoil`) or "synthetic" (see `synthetic`)."""
    loaders = {"airfoil": load_airfoil, "synthetic": synthetic}
    if name not in loaders:
        raise DataError(f"unknown data set {name!r}; choose airfoil or synthetic")
    return loaders[name](**kwargs)


# ---------------------------------------------------------------------- CSV upload


def csv_columns(data: bytes | str, max_bytes: int = MAX_BYTES) -> list[str]:
    """The column names in an uploaded CSV's header row (to offer the target choice)."""
    _, names = _header(_records(_decode(data, max_bytes)))
    return names


def parse_csv(
    data: bytes | str,
    name: str,
    target: str | None = None,
    max_rows: int = MAX_ROWS,
    max_bytes: int = MAX_BYTES,
) -> Dataset:
    """An uploaded CSV as a Dataset, every column standardized like the chapter does.

    A header row, then numbers only; comma, semicolon or tab delimited; `target` (default:
    the last column) is the label, the other columns are the features, in file order.
    """
    records = _records(_decode(data, max_bytes))
    _, names = _header(records)
    target = names[-1] if target is None else target
    if target not in names:
        columns = ", ".join(map(_show, names))
        raise DataError(f"no column named {_show(target)}; the columns are {columns}")
    # array("d") holds 8 bytes a cell: a 20 MB file of tiny cells stays small in memory.
    values = array("d")
    rows = 0
    for line, row in records:
        if rows == max_rows:
            raise DataError(f"the file has more than {max_rows:,} rows; the limit is {max_rows:,}")
        if len(row) != len(names):
            raise DataError(
                f"row {line} has {len(row)} values but the header has {len(names)} columns"
            )
        values.extend(_number(cell, line, column) for cell, column in zip(row, names, strict=True))
        rows += 1
    if rows < MIN_ROWS:
        raise DataError(f"the file has {rows} data rows; at least {MIN_ROWS} are needed")
    table = _standardize(np.frombuffer(values, dtype=np.float64).reshape(rows, len(names)), names)
    k = names.index(target)
    return Dataset(
        name,
        np.ascontiguousarray(np.delete(table, k, axis=1)),
        np.ascontiguousarray(table[:, k]),
        tuple(c for c in names if c != target),
        target,
    )


def _decode(data: bytes | str, max_bytes: int) -> str:
    size = len(data.encode("utf-8", "surrogatepass")) if isinstance(data, str) else len(data)
    if size > max_bytes:
        raise DataError(f"the file is {_size(size)}; the limit is {_size(max_bytes)}")
    if isinstance(data, str):
        text = data.removeprefix("\ufeff")
    else:
        try:
            text = data.decode("utf-8-sig")  # strips a BOM (Excel's "CSV UTF-8" writes one)
        except UnicodeDecodeError as exc:
            row = data.count(b"\n", 0, exc.start) + 1
            raise DataError(
                f"the file is not UTF-8 text (see row {row}); save it as CSV UTF-8"
            ) from None
    if "\x00" in text:
        raise DataError("the file looks binary, not like CSV text")
    if not text.strip():
        raise DataError("the file is empty")
    return text


def _size(n: int) -> str:
    """n bytes, for a person; MB rounded up, so a file just over a limit never reads as
    the limit itself ("20.1 MB; the limit is 20.0 MB")."""
    return f"{math.ceil(n / _MB * 10) / 10:.1f} MB" if n >= _MB else f"{n:,} bytes"


def _records(text: str) -> Iterator[tuple[int, list[str]]]:
    """(row number as a spreadsheet shows it, cells) for each non-blank row."""
    sample = text[:2048]  # Sniffer's quote regex is quadratic in the sample: keep it short
    sample = sample[: sample.rfind("\n") + 1] or sample  # whole lines sniff better
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
    except csv.Error:
        delimiter = ","  # e.g. one column only: the column count check then says so
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for row in reader:
            # Spreadsheets export rows of empty cells (",,,") after the data: skip them.
            if any(cell.strip() for cell in row):
                yield reader.line_num, row
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise DataError(f"row {reader.line_num} has a cell longer than "
                            f"{csv.field_size_limit():,} characters") from None
        raise DataError(f"row {reader.line_num} is not valid CSV: {_reason(exc)}") from None


def _header(records: Iterator[tuple[int, list[str]]]) -> tuple[int, list[str]]:
    line, header = next(records, (0, []))
    names = [cell.strip() for cell in header]
    if not names:
        raise DataError("the file is empty")
    if len(names) < 2:
        raise DataError(
            f"the file has {len(names)} column; at least 2 are needed (features and a "
            f"target), separated by commas, semicolons or tabs"
        )
    if all(_is_number(c) for c in names):
        raise DataError("the first row must be a header naming the columns, but it holds numbers")
    for i, column in enumerate(names):
        if not column:
            raise DataError(f"column {i + 1} has no name in the header row")
        if column in names[:i]:
            raise DataError(f"two columns are named {_show(column)}; each needs its own name")
    return line, names


def _show(text: str, limit: int = 30) -> str:
    """`text` quoted for a one-line message: escapes newlines, shortens long text."""
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _number(cell: str, line: int, column: str) -> float:
    text = cell.strip()
    if not text:
        raise DataError(f"row {line}, column {_show(column)} is empty")
    try:
        value = float(text)
    except ValueError:
        hint = " (use a point for decimals)" if "," in text else ""
        raise DataError(
            f"row {line}, column {_show(column)}: {_show(text)} is not a number{hint}"
        ) from None
    if math.isnan(value):
        raise DataError(f"row {line}, column {_show(column)} is NaN (a missing value?)")
    if math.isinf(value):
        raise DataError(f"row {line}, column {_show(column)}: {_show(text)} is not a finite number")
    return value


def _standardize(table: np.ndarray, names: list[str]) -> np.ndarray:
    """Column-wise (x - mean) / std with ddof=0, like the chapter, as float32.

    Computed in float64 so that large values don't overflow float32 on the way.
    """
    for j, column in enumerate(names):
        if table[:, j].min() == table[:, j].max():  # exact, unlike std == 0
            raise DataError(f"column {_show(column)} is constant; it cannot be standardized")
    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        std = table.std(axis=0)
        table = (table - table.mean(axis=0)) / std
    # Overflow (|x| near 1e308) or underflow (denormal spreads) leave inf, nan or 0.
    for j, column in enumerate(names):
        if not (np.isfinite(std[j]) and np.isfinite(table[:, j]).all()):
            raise DataError(
                f"column {_show(column)} has numbers too large or too close together "
                f"to standardize"
            )
    return table.astype(np.float32)
