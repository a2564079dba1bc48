"""Wall time, CPU time and peak resident memory of one step of a benchmark, in this process.

The peak is the kernel's own high-water mark (VmHWM in /proc/self/status), reset before each step by writing
5 to /proc/self/clear_refs (Linux ≥ 4.0), so each step gets its own peak, not the process's so far. Where the
reset is refused the figure is the process peak up to the end of the step, and `reset_works` says so.
"""

from __future__ import annotations

import re
import resource
import time
from contextlib import contextmanager
from pathlib import Path

_STATUS = Path("/proc/self/status")
_CLEAR = Path("/proc/self/clear_refs")


def peak_mb() -> float:
    """The process's peak RSS in MB since the last reset."""
    try:
        m = re.search(r"VmHWM:\s+(\d+)\s+kB", _STATUS.read_text())
        if m:
            return int(m.group(1)) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset_peak() -> bool:
    try:
        _CLEAR.write_text("5")
        return True
    except OSError:
        return False


reset_works = reset_peak()


class Step:
    """Seconds and peak MB of a step; several runs of the same step add their seconds and keep the max peak."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.cpu_seconds = 0.0  # user + system of every thread of the process: less hostage to a loaded machine
        self.peak_mb = 0.0
        self.runs = 0

    def to_dict(self) -> dict:
        return {"seconds": self.seconds, "cpu_seconds": self.cpu_seconds, "peak_mb": self.peak_mb, "runs": self.runs}


@contextmanager
def measured(step: Step):
    reset_peak()
    t0, c0 = time.perf_counter(), time.process_time()
    try:
        yield step
    finally:
        step.seconds += time.perf_counter() - t0
        step.cpu_seconds += time.process_time() - c0
        step.peak_mb = max(step.peak_mb, peak_mb())
        step.runs += 1
