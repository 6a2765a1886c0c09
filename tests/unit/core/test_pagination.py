import pytest

from lectern.core.pagination import decode_cursor, encode_cursor
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


def test_a_keyset_cursor_round_trips_and_refuses_naive_or_foreign_positions():
    import uuid
    from datetime import UTC, datetime

    from lectern.core.pagination import decode_keyset, encode_keyset

    at, row_id = datetime(2026, 3, 1, 12, tzinfo=UTC), uuid.uuid4()
    assert decode_keyset(encode_keyset(at, row_id)) == (at, row_id)
    for foreign in (
        encode_cursor({"at": "2026-03-01T12:00:00", "id": str(row_id)}),  # no time zone
        encode_cursor({"created_at": at.isoformat(), "id": str(row_id)}),
        encode_cursor({"at": at.isoformat(), "id": "x"}),
    ):
        with pytest.raises(InvalidField) as caught:
            decode_keyset(foreign)
        assert caught.value.field == "cursor"


def test_a_page_is_cut_from_one_row_more_and_names_its_last_row():
    from lectern.core.pagination import split_page

    assert split_page([1, 2, 3], 3, str) == ([1, 2, 3], None)
    assert split_page([1, 2, 3, 4], 3, str) == ([1, 2, 3], "3")
    assert split_page([], 3, str) == ([], None)
