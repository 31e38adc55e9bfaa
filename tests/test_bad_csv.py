"""Every malformed CSV of tests/bad_csv.py gets one clear line from optviz.data."""

import pytest

from optviz import data
from tests.bad_csv import BAD_CSVS, content


@pytest.mark.parametrize("name", BAD_CSVS)
def test_a_malformed_csv_gets_one_clear_line(name):
    raw, expected = content(name), BAD_CSVS[name][1]
    with pytest.raises(data.DataError) as excinfo:
        data.parse_csv(raw, f"{name}.csv")
    message = str(excinfo.value)
    assert expected in message
    assert "\n" not in message and len(message) < 200, message
    # The header alone (the page reads it first, for the target choice) either gives
    # the columns or the same kind of error, never another exception.
    try:
        columns = data.csv_columns(raw)
    except data.DataError as e:
        assert "\n" not in str(e)
    else:
        assert len(columns) >= 2


def test_a_file_just_over_the_size_limit_does_not_read_as_the_limit():
    with pytest.raises(data.DataError) as excinfo:
        data.parse_csv(b"a,b\n" + b"1,2\n" * 300_000, "u.csv", max_bytes=1024 * 1024)
    assert str(excinfo.value) == "the file is 1.2 MB; the limit is 1.0 MB"
    with pytest.raises(data.DataError) as excinfo:
        data.parse_csv(b"x" * (1024 * 1024 + 1), "u.csv", max_bytes=1024 * 1024)
    assert str(excinfo.value) == "the file is 1.1 MB; the limit is 1.0 MB"
