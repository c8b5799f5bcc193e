"""Readable names and search: what a learner types finds the sign."""

import pytest

from signbridge.data.landmarks import sign_to_index
from signbridge.tutor.names import READABLE, SYNONYMS, readable, resolve, search


@pytest.mark.parametrize("query, sign", [
    ("thank you", "thankyou"), ("THANKYOU", "thankyou"), ("thanks", "thankyou"),
    ("Thank-You ", "thankyou"), ("he/she/it", "hesheit"), ("call on phone", "callonphone"),
    ("phone", "callonphone"), ("mother", "mom"), ("ice cream", "icecream"),
])
def test_names_spaces_case_and_synonyms_find_the_sign(query, sign):
    assert search(query)[0] == sign
    assert resolve(query) == resolve(query, exact=True) == sign


def test_readable_names_and_no_match():
    assert [readable(s) for s in ("thankyou", "hesheit", "callonphone", "minemy", "hello")] == [
        "thank you", "he/she/it", "call on phone", "mine/my", "hello"]
    assert search("xyzzy") == [] and resolve("xyzzy") is None
    assert len(search("")) == 250 and resolve("") is None
    assert resolve("callon") == "callonphone" and resolve("callon", exact=True) is None
    # Exact matches rank before prefixes: "he" is he/she/it, then head, hear ...
    assert search("he")[0] == "hesheit" and "hello" in search("he")


def test_name_tables_cover_real_labels_only():
    labels = set(sign_to_index())
    assert set(READABLE) <= labels and set(SYNONYMS) <= labels
    assert len({readable(sign) for sign in labels}) == 250
