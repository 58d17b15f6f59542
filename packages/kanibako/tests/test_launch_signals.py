"""Signals during a session unwind it once; later signals wait for the cleanup."""

from __future__ import annotations

import os
import signal

import pytest

from kanibako.session.signals import SessionInterrupted, signals_unwind


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_first_signal_interrupts_with_128_plus_n(signum: int) -> None:
    with pytest.raises(SessionInterrupted) as info, signals_unwind():
        os.kill(os.getpid(), signum)
    assert info.value.exit_code == 128 + signum


def test_second_signal_does_not_cut_the_cleanup_short() -> None:
    cleaned = False
    with pytest.raises(SessionInterrupted), signals_unwind():
        try:
            os.kill(os.getpid(), signal.SIGTERM)
        finally:
            os.kill(os.getpid(), signal.SIGINT)  # ignored: cleanup continues
            cleaned = True
    assert cleaned


def test_handlers_are_restored_afterwards() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with signals_unwind():
        assert signal.getsignal(signal.SIGTERM) is not before
    assert signal.getsignal(signal.SIGTERM) is before
