"""The pipelined import shortens the interpreter's switch interval only while it runs."""

from __future__ import annotations

import sys

import pytest

from rapport.imports import ahead


def test_the_switch_interval_is_short_inside_and_put_back_after():
    before = sys.getswitchinterval()
    with ahead._quick_handover():
        assert sys.getswitchinterval() == pytest.approx(ahead.HANDOVER_SECONDS)
    assert sys.getswitchinterval() == before


def test_it_is_put_back_after_an_error_too():
    before = sys.getswitchinterval()
    with pytest.raises(RuntimeError), ahead._quick_handover():
        raise RuntimeError("chunk refused")
    assert sys.getswitchinterval() == before


def test_a_pipelined_run_goes_with_the_short_interval(monkeypatch):
    before, seen = sys.getswitchinterval(), []

    class WriterStarted(Exception):
        pass

    def writer(*_args):
        seen.append(sys.getswitchinterval())
        raise WriterStarted

    monkeypatch.setattr(ahead, "_ChunkWriter", writer)
    with pytest.raises(WriterStarted):
        ahead.run_pipelined(None, None, None, 10, ordinary=print, commit_options=print, progress=print)
    assert seen == [pytest.approx(ahead.HANDOVER_SECONDS)]
    assert sys.getswitchinterval() == before
