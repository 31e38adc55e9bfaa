"""Data sets: the chapter's airfoil loader (cache, download, verification), the synthetic
set and CSV uploads.

The airfoil file is never part of the repository: the tests read the shared copy in
../shared/data (or $OPTVIZ_SHARED_DATA) and skip, loudly, without it, except under
CI=true, where its absence is a failure. Downloads go to a real HTTP server on
127.0.0.1, never to the internet.
"""

import contextlib
import hashlib
import math
import os
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from optviz import data
from optviz.data import DataError, Dataset, DataUnavailable
from tests.conftest import ROOT, SHARED_DATA

SHARED = SHARED_DATA / data.AIRFOIL_FILE  # read only by tests that ask for airfoil_raw


@pytest.fixture(scope="module")
def airfoil_raw(shared_data_dir) -> bytes:
    return (shared_data_dir / data.AIRFOIL_FILE).read_bytes()


@pytest.fixture(autouse=True)
def _fresh_memory_cache():
    data._airfoil_arrays.cache_clear()
    yield
    data._airfoil_arrays.cache_clear()


@pytest.fixture
def cached(tmp_path: Path, airfoil_raw: bytes) -> Path:
    """A cache folder holding a temporary copy of the shared file."""
    folder = tmp_path / "cache"
    folder.mkdir()
    (folder / data.AIRFOIL_FILE).write_bytes(airfoil_raw)
    return folder


@pytest.fixture
def server(monkeypatch):
    """An HTTP server on 127.0.0.1 serving `routes` (path → bytes) and counting hits."""
    monkeypatch.setenv("no_proxy", "*")
    monkeypatch.setenv("NO_PROXY", "*")
    routes: dict[str, bytes] = {}
    hits: Counter[str] = Counter()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            hits[self.path] += 1
            body = routes.get(self.path)
            if body is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    class Server(ThreadingHTTPServer):
        request_queue_size = 32  # the default 5 makes concurrent clients wait for SYN retries

    httpd = Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    port = httpd.server_address[1]
    yield SimpleNamespace(routes=routes, hits=hits, url=lambda p: f"http://127.0.0.1:{port}{p}")
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def corrupted(raw: bytes) -> bytes:
    """`raw` with one digit changed."""
    i = raw.index(b"0.3048")
    return raw[:i] + b"1" + raw[i + 1:]


def chapter(path: Path, n: int = 1500) -> tuple[np.ndarray, np.ndarray]:
    """The chapter's own code."""
    arr = np.genfromtxt(path, dtype=np.float32, delimiter="\t")
    arr = (arr - arr.mean(axis=0)) / arr.std(axis=0)
    return arr[:n, :-1], arr[:n, -1]


def one_line(excinfo: pytest.ExceptionInfo) -> str:
    message = str(excinfo.value)
    assert message and "\n" not in message
    return message


# ------------------------------------------------------------------ airfoil: loader


def test_the_hash_constants_describe_the_shared_file(airfoil_raw):
    assert hashlib.sha1(airfoil_raw).hexdigest() == data.AIRFOIL_SHA1
    lf = airfoil_raw.replace(b"\r\n", b"\n")
    assert hashlib.sha1(lf).hexdigest() == data.AIRFOIL_LF_SHA1
    assert data.is_airfoil(airfoil_raw) and data.is_airfoil(lf)
    assert not data.is_airfoil(corrupted(airfoil_raw))


def test_airfoil_is_the_chapters_arrays(cached):
    ds = data.load_airfoil(cache_dir=cached, urls=())
    assert ds.name == "airfoil"
    assert ds.features.shape == (1500, 5) and ds.labels.shape == (1500,)
    assert ds.features.dtype == np.float32 and ds.labels.dtype == np.float32
    assert ds.feature_names[0] == "frequency (Hz)" and len(ds.feature_names) == 5
    assert ds.target_name == "scaled sound pressure level (dB)"
    assert ds.true_weights is None and ds.true_bias is None
    features, labels = chapter(SHARED)
    np.testing.assert_array_equal(ds.features[0], features[0])
    assert ds.labels[0] == labels[0]
    np.testing.assert_array_equal(ds.features, features)
    np.testing.assert_array_equal(ds.labels, labels)


def test_every_column_is_standardized_over_all_1503_rows(cached):
    ds = data.load_airfoil(n=1503, cache_dir=cached, urls=())
    table = np.column_stack([ds.features, ds.labels]).astype(np.float64)
    assert table.shape == (1503, 6)
    # float32 throughout, as the chapter: means are off zero by float32 rounding only.
    np.testing.assert_allclose(table.mean(axis=0), 0.0, atol=1e-4)
    np.testing.assert_allclose(table.std(axis=0), 1.0, atol=1e-4)
    # The first 1500 rows are a prefix of the same standardized table.
    np.testing.assert_array_equal(data.load_airfoil(cache_dir=cached, urls=()).features,
                                  ds.features[:1500])


def test_callers_get_their_own_arrays(cached):
    first = data.load_airfoil(cache_dir=cached, urls=())
    first.features[:] = 0.0
    first.labels[:] = 0.0
    second = data.load_airfoil(cache_dir=cached, urls=())
    assert second.features.any() and second.labels.any()
    assert second.features.flags.c_contiguous and second.features.flags.writeable


@pytest.mark.parametrize("n", [0, 1504, -1, 1.5, True, "1500"])
def test_airfoil_rejects_bad_n(n, tmp_path):
    with pytest.raises(DataError) as excinfo:
        data.load_airfoil(n=n, cache_dir=tmp_path, urls=())
    assert "1 to 1503" in one_line(excinfo)


def test_cache_folder_from_the_environment(cached, tmp_path, monkeypatch):
    monkeypatch.setenv("OPTVIZ_DATA_DIR", str(cached))
    assert data.load_airfoil(urls=()).features.shape == (1500, 5)
    # The argument overrides the environment: an empty folder, offline.
    with pytest.raises(DataUnavailable) as excinfo:
        data.load_airfoil(cache_dir=tmp_path / "empty", urls=())
    assert str(tmp_path / "empty" / data.AIRFOIL_FILE) in one_line(excinfo)


def test_load_dispatches_by_name(cached):
    assert data.load("airfoil", cache_dir=cached, urls=()).name == "airfoil"
    assert data.load("synthetic", n=20, d=2).features.shape == (20, 2)
    with pytest.raises(DataError) as excinfo:
        data.load("mnist")
    assert "airfoil or synthetic" in one_line(excinfo)


# ---------------------------------------------------------------- airfoil: download


def test_download_verifies_and_caches(server, tmp_path, airfoil_raw):
    server.routes["/a.dat"] = airfoil_raw
    urls = [server.url("/a.dat")]
    ds = data.load_airfoil(cache_dir=tmp_path, urls=urls, timeout=2)
    assert server.hits["/a.dat"] == 1
    assert (tmp_path / data.AIRFOIL_FILE).read_bytes() == airfoil_raw
    np.testing.assert_array_equal(ds.features, chapter(SHARED)[0])
    data.load_airfoil(cache_dir=tmp_path, urls=urls, timeout=2)  # the in-process cache
    data._airfoil_arrays.cache_clear()
    data.load_airfoil(cache_dir=tmp_path, urls=urls, timeout=2)  # the file cache
    assert server.hits["/a.dat"] == 1
    assert [p.name for p in tmp_path.iterdir()] == [data.AIRFOIL_FILE]  # no temporary files


def test_a_corrupted_download_falls_through_to_the_next_url(server, tmp_path, airfoil_raw):
    server.routes["/bad.dat"] = corrupted(airfoil_raw)
    server.routes["/good.dat"] = airfoil_raw
    urls = [server.url("/missing.dat"), server.url("/bad.dat"), server.url("/good.dat")]
    data.load_airfoil(cache_dir=tmp_path, urls=urls, timeout=2)
    assert server.hits == Counter({"/missing.dat": 1, "/bad.dat": 1, "/good.dat": 1})
    assert (tmp_path / data.AIRFOIL_FILE).read_bytes() == airfoil_raw


def test_nothing_good_to_download_is_unavailable(server, tmp_path, airfoil_raw):
    server.routes["/bad.dat"] = corrupted(airfoil_raw)
    urls = [server.url("/bad.dat"), server.url("/missing.dat")]
    with pytest.raises(DataUnavailable) as excinfo:
        data.load_airfoil(cache_dir=tmp_path, urls=urls, timeout=2)
    message = one_line(excinfo)
    assert f"{urls[0]} (content is not the airfoil data set: sha1 mismatch)" in message
    assert f"{urls[1]} (HTTP 404)" in message
    assert str(tmp_path / data.AIRFOIL_FILE) in message
    assert list(tmp_path.iterdir()) == []  # nothing refused is stored
    assert server.hits == Counter({"/bad.dat": 1, "/missing.dat": 1})  # one try per URL


def test_a_copy_with_lf_line_endings_is_accepted_and_stored(server, tmp_path, airfoil_raw):
    lf = airfoil_raw.replace(b"\r\n", b"\n")
    server.routes["/uci.dat"] = lf
    ds = data.load_airfoil(cache_dir=tmp_path, urls=[server.url("/uci.dat")], timeout=2)
    assert (tmp_path / data.AIRFOIL_FILE).read_bytes() == lf
    np.testing.assert_array_equal(ds.features, chapter(SHARED)[0])
    np.testing.assert_array_equal(ds.labels, chapter(SHARED)[1])
    data._airfoil_arrays.cache_clear()
    data.load_airfoil(cache_dir=tmp_path, urls=(), timeout=2)  # the LF copy verifies when cached


def test_a_corrupted_cache_is_removed_and_fetched_again(server, tmp_path, airfoil_raw):
    (tmp_path / data.AIRFOIL_FILE).write_bytes(corrupted(airfoil_raw))
    server.routes["/a.dat"] = airfoil_raw
    data.load_airfoil(cache_dir=tmp_path, urls=[server.url("/a.dat")], timeout=2)
    assert server.hits["/a.dat"] == 1
    assert (tmp_path / data.AIRFOIL_FILE).read_bytes() == airfoil_raw


def test_a_corrupted_cache_offline_is_removed_and_unavailable(tmp_path, airfoil_raw):
    (tmp_path / data.AIRFOIL_FILE).write_bytes(airfoil_raw[:1000])
    with pytest.raises(DataUnavailable):
        data.load_airfoil(cache_dir=tmp_path, urls=())
    assert not (tmp_path / data.AIRFOIL_FILE).exists()


def test_nothing_reachable_fails_quickly_and_clearly(tmp_path):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    urls = [f"http://127.0.0.1:{port}/a.dat", f"http://127.0.0.1:{port}/b.dat"]
    start = time.monotonic()
    with pytest.raises(DataUnavailable) as excinfo:
        data.load_airfoil(cache_dir=tmp_path, urls=urls, timeout=1)
    assert time.monotonic() - start < 5
    message = one_line(excinfo)
    assert message.startswith("the airfoil data set could not be downloaded (offline?)")
    assert all(url in message for url in urls)
    assert f"cached at {tmp_path / data.AIRFOIL_FILE}" in message
    assert isinstance(excinfo.value, RuntimeError)


def test_an_unwritable_cache_is_unavailable(server, tmp_path, airfoil_raw):
    server.routes["/a.dat"] = airfoil_raw
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(DataUnavailable) as excinfo:
        data.load_airfoil(cache_dir=blocker / "cache", urls=[server.url("/a.dat")], timeout=2)
    assert "cannot save it" in one_line(excinfo)


def test_concurrent_first_uses_share_one_good_file(server, tmp_path, airfoil_raw):
    server.routes["/a.dat"] = airfoil_raw
    barrier = threading.Barrier(8)
    results, errors = [], []

    def use():
        barrier.wait()
        try:
            results.append(data.load_airfoil(cache_dir=tmp_path, urls=[server.url("/a.dat")]))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=use) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(results) == 8
    assert (tmp_path / data.AIRFOIL_FILE).read_bytes() == airfoil_raw
    assert [p.name for p in tmp_path.iterdir()] == [data.AIRFOIL_FILE]


# ---------------------------------------------------------------------- synthetic


def test_synthetic_shapes_and_truth():
    ds = data.synthetic(n=200, d=3, noise=0.5, seed=4)
    assert isinstance(ds, Dataset) and ds.name == "synthetic"
    assert ds.features.shape == (200, 3) and ds.labels.shape == (200,)
    assert ds.features.dtype == np.float32 and ds.labels.dtype == np.float32
    assert ds.feature_names == ("x1", "x2", "x3") and ds.target_name == "y"
    assert ds.true_weights.shape == (3,) and ds.true_bias == 4.2
    np.testing.assert_array_equal(ds.true_weights, np.round(ds.true_weights, 1))


def test_synthetic_is_reproducible_by_seed():
    a, b, c = data.synthetic(seed=7), data.synthetic(seed=7), data.synthetic(seed=8)
    np.testing.assert_array_equal(a.features, b.features)
    np.testing.assert_array_equal(a.labels, b.labels)
    np.testing.assert_array_equal(a.true_weights, b.true_weights)
    assert not np.array_equal(a.features, c.features)


@pytest.mark.parametrize(("noise", "tol"), [(0.0, 1e-4), (0.1, 0.05)])
def test_least_squares_recovers_the_true_weights(noise, tol):
    ds = data.synthetic(n=1000, d=5, noise=noise, seed=0)
    design = np.column_stack([ds.features, np.ones(len(ds.labels))]).astype(np.float64)
    solution = np.linalg.lstsq(design, ds.labels.astype(np.float64), rcond=None)[0]
    np.testing.assert_allclose(solution[:-1], ds.true_weights, atol=tol)
    assert solution[-1] == pytest.approx(ds.true_bias, abs=tol)


@pytest.mark.parametrize(("kwargs", "expected"), [
    ({"n": 9}, "n must be a whole number from 10"),
    ({"n": data.MAX_ROWS + 1}, "n must be a whole number from 10"),
    ({"n": 10.5}, "n must be"),
    ({"d": 0}, "d must be a whole number from 1 to 50"),
    ({"d": 51}, "d must be"),
    ({"noise": -0.1}, "noise must be a finite number ≥ 0"),
    ({"noise": math.nan}, "noise must be"),
    ({"noise": math.inf}, "noise must be"),
    ({"noise": "0.1"}, "noise must be"),
    ({"seed": -1}, "seed must be a whole number ≥ 0"),
])
def test_synthetic_rejects_bad_settings(kwargs, expected):
    with pytest.raises(ValueError) as excinfo:
        data.synthetic(**kwargs)
    assert excinfo.type is DataError
    assert expected in one_line(excinfo)


# -------------------------------------------------------------------------- CSV


def table_text(delimiter: str = ",", rows: int = 12, newline: str = "\n") -> str:
    lines = [delimiter.join(["speed", "angle", "noise"])]
    lines += [delimiter.join([f"{i * 1.5}", f"{(i * 7) % 5}", f"{100 - i * i / 3:.4f}"])
              for i in range(rows)]
    return newline.join(lines) + newline


def expected_table(rows: int = 12) -> np.ndarray:
    arr = np.array([[i * 1.5, (i * 7) % 5, round(100 - i * i / 3, 4)] for i in range(rows)])
    return ((arr - arr.mean(axis=0)) / arr.std(axis=0)).astype(np.float32)


@pytest.mark.parametrize("content", [
    table_text(","),
    table_text(";"),
    table_text("\t"),
    table_text(",", newline="\r\n"),
    table_text(",").encode(),
    b"\xef\xbb\xbf" + table_text(";").encode(),  # Excel's "CSV UTF-8" starts with a BOM
    "\ufeff" + table_text("\t"),
    table_text(",") + ",,\n\n",  # trailing empty rows, as spreadsheets export them
    table_text(",").replace("speed,angle,noise", '" speed ","angle","noise"'),
])
def test_parse_csv_reads_good_files(content):
    ds = data.parse_csv(content, "upload.csv")
    assert ds.name == "upload.csv"
    assert ds.feature_names == ("speed", "angle") and ds.target_name == "noise"
    assert ds.features.shape == (12, 2) and ds.labels.shape == (12,)
    assert ds.features.dtype == np.float32 and ds.labels.dtype == np.float32
    expected = expected_table()
    np.testing.assert_allclose(ds.features, expected[:, :2], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(ds.labels, expected[:, 2], rtol=1e-6, atol=1e-6)
    assert data.csv_columns(content) == ["speed", "angle", "noise"]


def test_parse_csv_target_choice():
    ds = data.parse_csv(table_text(), "u.csv", target="speed")
    assert ds.feature_names == ("angle", "noise") and ds.target_name == "speed"
    expected = expected_table()
    np.testing.assert_allclose(ds.labels, expected[:, 0], atol=1e-6)
    np.testing.assert_allclose(ds.features, expected[:, 1:], atol=1e-6)
    with pytest.raises(DataError) as excinfo:
        data.parse_csv(table_text(), "u.csv", target="Speed")
    assert one_line(excinfo) == (
        "no column named 'Speed'; the columns are 'speed', 'angle', 'noise'")


def replace_line(text: str, row: int, new: str) -> str:
    """`text` with spreadsheet row `row` (header = 1) replaced by `new`."""
    lines = text.splitlines()
    lines[row - 1] = new
    return "\n".join(lines) + "\n"


GOOD = table_text()

BAD_FILES = {
    "text cell": (replace_line(GOOD, 7, "fast,1,2"), {},
                  "row 7, column 'speed': 'fast' is not a number"),
    "decimal comma": (replace_line(table_text(";"), 3, "1,5;1;2"), {},
                      "row 3, column 'speed': '1,5' is not a number (use a point for decimals)"),
    "too few rows": (table_text(rows=9), {}, "the file has 9 data rows; at least 10 are needed"),
    "too few columns": ("speed\n" + "1\n" * 12, {}, "the file has 1 column; at least 2"),
    "NaN": (replace_line(GOOD, 5, "1,nan,2"), {}, "row 5, column 'angle' is NaN"),
    "inf": (replace_line(GOOD, 5, "1,2,-inf"), {},
            "row 5, column 'noise': '-inf' is not a finite number"),
    "overflow": (replace_line(GOOD, 5, "1,2,1e999"), {}, "'1e999' is not a finite number"),
    "empty cell": (replace_line(GOOD, 4, "1,,2"), {}, "row 4, column 'angle' is empty"),
    "ragged row": (replace_line(GOOD, 4, "1,2"), {},
                   "row 4 has 2 values but the header has 3 columns"),
    "long row": (replace_line(GOOD, 4, "1,2,3,4"), {}, "row 4 has 4 values"),
    "too many rows": (table_text(rows=12), {"max_rows": 11},
                      "the file has more than 11 rows; the limit is 11"),
    "too many bytes": (GOOD, {"max_bytes": 50}, "; the limit is 50 bytes"),
    "constant column": ("s,c,n\n" + "".join(f"{i},7,{i * i}\n" for i in range(12)), {},
                        "column 'c' is constant; it cannot be standardized"),
    "too large to standardize": (replace_line(GOOD, 5, "1e308,1,2").replace("\n0.0,", "\n-1e308,"),
                                 {}, "column 'speed' has numbers too large"),
    "too close to standardize": ("a,b\n" + "0,1\n" * 11 + "5e-324,2\n", {},
                                 "column 'a' has numbers too large or too close together"),
    "no header": ("\n".join(f"{i},{i * i},{i % 4}" for i in range(12)), {},
                  "the first row must be a header naming the columns"),
    "unnamed column": (GOOD.replace("speed,angle,noise", "speed,,noise"), {},
                       "column 2 has no name in the header row"),
    "duplicate name": (GOOD.replace("speed,angle,noise", "x,y,x"), {},
                       "two columns are named 'x'"),
    "empty file": ("", {}, "the file is empty"),
    "blank file": (b"\xef\xbb\xbf\r\n \n\n", {}, "the file is empty"),
    "not UTF-8": (b"speed,angle\n" + "vitesse élevée,1\n".encode("latin-1") * 12, {},
                  "the file is not UTF-8 text (see row 2); save it as CSV UTF-8"),
    "binary": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), {},
               "the file is not UTF-8 text"),
    "NUL bytes": (b"a,b\n" + b"1,\x002\n" * 12, {}, "the file looks binary, not like CSV text"),
    "unclosed quote": ('"a,b\n' + "1,2\n" * 12, {}, "the file has 1 column"),
}


@pytest.mark.parametrize(("content", "kwargs", "expected"), BAD_FILES.values(), ids=BAD_FILES)
def test_parse_csv_rejects_bad_files_helpfully(content, kwargs, expected):
    with pytest.raises(DataError) as excinfo:
        data.parse_csv(content, "bad.csv", **kwargs)
    assert expected in one_line(excinfo)
    assert isinstance(excinfo.value, ValueError)


def test_csv_columns_rejects_what_parse_csv_rejects_in_the_header():
    assert data.csv_columns(b"\xef\xbb\xbf a ;b\n1;2\n") == ["a", "b"]
    for content in ["", "x\n1\n", "1,2\n3,4\n", b"\xff\xfe"]:
        with pytest.raises(DataError):
            data.csv_columns(content)
    with pytest.raises(DataError):
        data.csv_columns(GOOD, max_bytes=10)


def test_long_names_and_cells_are_shortened_in_messages():
    name = "n" * 500
    content = replace_line(GOOD.replace("speed", name, 1), 3, "x" * 1000 + ",1,2")
    with pytest.raises(DataError) as excinfo:
        data.parse_csv(content, "u.csv")
    message = one_line(excinfo)
    assert len(message) < 150 and "is not a number" in message


def test_caps_come_from_the_environment():
    code = "from optviz import data; print(data.MAX_ROWS, data.MAX_BYTES)"
    env = {**os.environ, "OPTVIZ_MAX_ROWS": "5000", "OPTVIZ_MAX_UPLOAD_MB": "2"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env,
                         capture_output=True, text=True, check=True).stdout.split()
    assert out == ["5000", str(2 * 1024 * 1024)]
    env = {**os.environ, "OPTVIZ_MAX_ROWS": "lots", "OPTVIZ_MAX_UPLOAD_MB": "0"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env,
                         capture_output=True, text=True, check=True).stdout.split()
    assert out == ["100000", str(20 * 1024 * 1024)]


def check_upload(content: bytes | str) -> None:
    """Whatever the content: a valid Dataset, or DataError with a one-line message."""
    try:
        ds = data.parse_csv(content, "fuzz.csv")
    except DataError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    n, d = ds.features.shape
    assert n >= data.MIN_ROWS and d >= 1 and ds.labels.shape == (n,)
    assert np.isfinite(ds.features).all() and np.isfinite(ds.labels).all()
    assert len(ds.feature_names) == d


@hsettings(max_examples=300, deadline=None)
@given(st.binary(max_size=3000))
def test_random_bytes_raise_only_data_error(content):
    check_upload(content)
    with contextlib.suppress(DataError):
        data.csv_columns(content)


CSVISH = st.text(alphabet=st.sampled_from(list("0123456789.-e,;\t\n\r \"'abnfi\ufeff")),
                 max_size=400)


@hsettings(max_examples=300, deadline=None)
@given(st.one_of(CSVISH, CSVISH.map(lambda t: "a,b,c\n" + t)))
def test_random_csv_like_text_raises_only_data_error(content):
    check_upload(content)
    check_upload(content.encode("utf-8"))


@hsettings(max_examples=100, deadline=None)
@given(st.lists(st.lists(st.floats(allow_nan=False, allow_infinity=False, width=32),
                         min_size=3, max_size=3), min_size=10, max_size=40),
       st.sampled_from([",", ";", "\t"]))
def test_random_numeric_tables_parse_or_say_why(rows, delimiter):
    content = "\n".join([delimiter.join("abc")] + [delimiter.join(map(repr, r)) for r in rows])
    check_upload(content)


# ------------------------------------------- the trainer page's synthetic set (issue 14)


def _adam_run(ds, **kwargs):
    from optviz.trainer import Trainer

    return Trainer(ds, **kwargs).fit()


def test_the_live_synthetic_set_converges_in_the_chapters_run():
    """Adam, lr 0.01, batch 10, 2 epochs (the trainer's defaults) ends near the noise
    floor, from well above it, and gets there only after real work."""
    ds = data.synthetic(**data.SYNTHETIC_LIVE)
    floor = data.noise_floor(ds)
    noise = data.SYNTHETIC_LIVE["noise"]
    assert floor == pytest.approx(noise**2 / 2, rel=0.1)  # least squares meets the noise
    for impl in ("scratch", "torch"):
        t = _adam_run(ds, impl=impl)
        assert t.optimizer == "adam" and t.epochs == 2 and t.batch_size == 10
        assert t.hp.lr == 0.01
        losses = np.array(t.losses)
        assert losses[0] > 10 * floor  # a real problem: far from the floor at the start
        half = int(np.searchsorted(np.array(t.examples), ds.features.shape[0] // 2))
        assert losses[half] > 2 * floor  # still far after half an epoch: Adam works for it
        assert floor <= losses[-1] < 1.1 * floor  # and converges within the 2 epochs


def test_the_old_synthetic_scales_do_not_converge_in_that_run():
    """Why the live set is scaled: the default set's bias 4.2 is out of Adam's reach in
    300 steps of about lr = 0.01 each."""
    ds = data.synthetic(n=1500, d=5, noise=0.1, seed=0)
    assert _adam_run(ds).final_loss > 10 * data.noise_floor(ds)


def test_the_synthetic_scales_are_settings():
    ds = data.synthetic(n=50, d=3, seed=1, weight_scale=0.0, bias=-2.5)
    assert ds.true_bias == -2.5 and not ds.true_weights.any()
    for kwargs, expected in [({"weight_scale": -1}, "weight_scale must be ≥ 0"),
                             ({"bias": float("nan")}, "bias must be a finite number"),
                             ({"weight_scale": "big"}, "weight_scale must be a finite number")]:
        with pytest.raises(DataError, match=expected):
            data.synthetic(**kwargs)


def test_the_noise_floor_is_the_least_loss_of_any_line():
    ds = data.synthetic(n=200, d=2, noise=0.5, seed=3)
    floor = data.noise_floor(ds)
    X = np.hstack([ds.features, np.ones((200, 1))]).astype(np.float64)
    truth = np.append(ds.true_weights, ds.true_bias)
    at_truth = float(np.mean((X @ truth - ds.labels) ** 2) / 2)
    assert 0 < floor <= at_truth  # the true line is one line; least squares is the best
    assert data.noise_floor(data.synthetic(n=200, d=2, noise=0.0, seed=3)) < 1e-10


def test_the_airfoil_path_is_where_the_loader_looks(monkeypatch, tmp_path):
    monkeypatch.setenv("OPTVIZ_DATA_DIR", str(tmp_path))
    assert data.airfoil_path() == tmp_path / data.AIRFOIL_FILE
    monkeypatch.delenv("OPTVIZ_DATA_DIR")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert data.airfoil_path() == tmp_path / ".cache" / "optviz" / data.AIRFOIL_FILE
