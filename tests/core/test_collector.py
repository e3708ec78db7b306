"""rapport.core.collector: the garbage collector's settings during bulk work, and back after."""

import gc
import threading

from rapport.core.collector import BULK_YOUNG_THRESHOLD, bulk_collection


class _Cycle:
    def __init__(self) -> None:
        self.me = self


def test_inside_existing_objects_are_frozen_and_young_collections_wait():
    before = gc.get_threshold()
    existing = [[i] for i in range(1000)]  # tracked containers made before
    with bulk_collection():
        assert gc.get_freeze_count() >= len(existing)
        assert gc.get_threshold() == (max(before[0], BULK_YOUNG_THRESHOLD), *before[1:])
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_cyclic_garbage_is_still_collected_inside():
    collected = []
    with bulk_collection():
        gc.callbacks.append(lambda phase, info: phase == "stop" and collected.append(info["collected"]))
        try:
            for _ in range(3 * BULK_YOUNG_THRESHOLD):
                _Cycle()  # unreachable at once, freed only by the collector
        finally:
            gc.callbacks.pop()
    assert sum(collected) > 0


def test_nested_and_concurrent_uses_restore_the_settings_once_the_last_ends():
    before = gc.get_threshold()
    inside, release = threading.Event(), threading.Event()

    def other_import() -> None:
        with bulk_collection():
            inside.set()
            release.wait(5)

    thread = threading.Thread(target=other_import)
    thread.start()
    assert inside.wait(5)
    with bulk_collection():
        with bulk_collection():
            pass
        assert gc.get_threshold()[0] >= BULK_YOUNG_THRESHOLD
    assert gc.get_threshold()[0] >= BULK_YOUNG_THRESHOLD  # the other thread's import still runs
    release.set()
    thread.join(5)
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_settings_come_back_after_an_error():
    before = gc.get_threshold()
    try:
        with bulk_collection():
            raise ValueError("boom")
    except ValueError:
        pass
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
