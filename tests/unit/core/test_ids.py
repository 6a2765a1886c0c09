import time

from lectern.core.ids import uuid7


def test_uuid7_has_version_and_variant():
    value = uuid7()
    assert value.version == 7
    assert value.variant == "specified in RFC 4122"


def test_uuid7_embeds_the_current_millisecond_and_sorts_by_time():
    before = time.time_ns() // 1_000_000
    first = uuid7()
    time.sleep(0.002)
    second = uuid7()
    after = time.time_ns() // 1_000_000
    assert before <= first.int >> 80 <= after
    assert first < second
    assert len({uuid7() for _ in range(10_000)}) == 10_000


def test_uuid7_sorts_in_the_order_made_within_a_millisecond():
    made = [uuid7() for _ in range(5_000)]  # many share a millisecond
    assert len({u.int >> 80 for u in made}) < len(made)
    assert made == sorted(made) and len(set(made)) == len(made)
    assert all(u.version == 7 and u.variant == "specified in RFC 4122" for u in made)


def test_uuid7_stays_ordered_when_the_clock_steps_back(monkeypatch):
    first = uuid7()
    back = (first.int >> 80) - 5_000  # five seconds earlier
    monkeypatch.setattr(time, "time_ns", lambda: back * 1_000_000)
    second = uuid7()
    assert second > first and second.int >> 80 == first.int >> 80
