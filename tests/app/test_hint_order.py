"""Typing hints answer keys one at a time, but their requests can arrive out of order under load:
a hint for an earlier key that arrives late is dropped, so the note matches what is typed."""

from app.ui import LatestKeys


def test_a_late_hint_for_an_earlier_key_is_dropped():
    keys = LatestKeys()
    assert keys.newest("page-1", 1) and keys.newest("page-1", 2) and keys.newest("page-1", 4)
    assert not keys.newest("page-1", 3)  # typed before key 4, whose hint is already shown
    assert not keys.newest("page-1", 4)  # the same key twice
    assert keys.newest("page-1", 5)


def test_pages_count_their_keys_apart_and_a_closed_page_is_forgotten():
    keys = LatestKeys()
    assert keys.newest("page-1", 7)
    assert keys.newest("page-2", 1)  # another page's count starts again at 1
    keys.forget("page-1")
    assert keys.newest("page-1", 1) and keys.seen == {"page-1": 1, "page-2": 1}
    assert keys.newest("page-3", None) and "page-3" not in keys.seen  # unnumbered: answered
