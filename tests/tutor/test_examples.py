"""Example clips: rendered from the picked references at both speeds, cached under names that
change with the drawing, so clips drawn by an older renderer are never served."""

import pytest

from signbridge.errors import SignbridgeError
from signbridge.tutor.examples import RENDER_VERSION, ClipLibrary


def test_examples_are_rendered_once_per_speed_and_reference(tmp_path, sample_references):
    cache = tmp_path / "clips"
    cache.mkdir()
    stale = cache / "113_0.mp4"  # the old renderer's name for hello's first example
    stale.write_bytes(b"old stick figure")
    library = ClipLibrary(None, sample_references, cache, examples_per_sign=1)
    [real] = library.examples("hello")
    [half] = library.examples("hello", speed=0.5)
    reference = sample_references.for_examples("hello", 1)[0]
    assert real.name == (f"113_{reference.participant_id}_{reference.sequence_id}"
                         f"_v{RENDER_VERSION}_real.mp4")
    assert half.name == real.name.replace("_real", "_half")
    assert half.stat().st_size > real.stat().st_size > 10_000
    modified = real.stat().st_mtime_ns
    assert library.examples("hello") == [real] and real.stat().st_mtime_ns == modified
    assert stale not in library.examples("hello")
    assert library.examples("zebra") == []
    with pytest.raises(SignbridgeError, match="not one of the 250 signs"):
        library.examples("../hello")
    with pytest.raises(SignbridgeError, match="speed"):
        library.examples("hello", speed=2.0)


def test_one_example_is_rendered_at_a_time(tmp_path, sample_references):
    library = ClipLibrary(None, sample_references, tmp_path)
    assert library.count("thankyou") == 3 and library.count("zebra") == 0
    second = library.example("thankyou", 1, speed=0.5)
    assert [p.name for p in tmp_path.iterdir()] == [second.name]
    with pytest.raises(SignbridgeError, match="no example 4"):
        library.example("thankyou", 3)
