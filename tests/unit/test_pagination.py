import pytest

from lectern.api.pagination import decode_cursor, encode_cursor
from lectern.errors import InvalidField


def test_cursor_round_trip():
    position = {"created_at": "2026-11-21T10:00:00+00:00", "id": "0190f"}
    assert decode_cursor(encode_cursor(position)) == position


@pytest.mark.parametrize(
    "cursor", ["%%%", "bm90IGpzb24", encode_cursor({"a": 1})[:-3] + "!", "WzFd"]
)
def test_foreign_cursors_are_a_field_error(cursor):
    with pytest.raises(InvalidField) as exc:
        decode_cursor(cursor)
    assert exc.value.field == "cursor"
