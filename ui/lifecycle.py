"""Serving in the foreground until Ctrl+C: the one loop ``rag ui`` and ``rag serve`` both run (no gradio here)."""

from __future__ import annotations

import sys
import time
from typing import Callable

__all__ = ["run_until_interrupted"]

POLL_S = 0.5
"""How often the foreground thread wakes to see whether the server thread still runs (a Ctrl+C interrupts the
sleep at once, so this only bounds how late a server that stopped by itself is noticed)."""


def run_until_interrupted(command: str, close: Callable[[], None], alive: Callable[[], bool] = lambda: True) -> int:
    """Wait while ``alive()`` until Ctrl+C, then ``close()``; exit code 0. ``command`` names the program in the
    "stopping" line (``rag ui``, ``rag serve``)."""
    try:
        while alive():
            time.sleep(POLL_S)
    except KeyboardInterrupt:
        print(f"\n{command}: stopping", file=sys.stderr)
    finally:
        close()
    return 0
