"""When a failed call is tried again and how long to wait: one policy for the REST and upload edges.

`RetryPolicy` says how many attempts a call gets and how long to wait after each failure;
`Deadline` bounds the time a run spends on API work; `retry_after` reads the server's `Retry-After`
header (RFC 9110 section 10.2.3: delay-seconds or an HTTP-date). `Clock` bundles the three
clock functions so tests run the same code without sleeping.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC
from email.utils import parsedate_to_datetime

#: The longest `Retry-After` text looked at; a longer value is garbage.
_HEADER_CAP = 64


@dataclass(frozen=True, slots=True)
class Clock:
    """Monotonic time (deadlines), wall time (HTTP dates, `x-ratelimit-reset`), and sleep."""

    monotonic: Callable[[], float] = time.monotonic
    wall: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep


class Deadline:
    """A run's budget of seconds for API work: time counts while some work is `running()`
    (requests and the waits between them), not while the run parses or renders in between."""

    def __init__(self, seconds: float, clock: Clock | None = None) -> None:
        self.clock = clock or Clock()
        self.seconds = max(0.0, seconds)
        self._spent = 0.0
        self._since: float | None = None
        self._depth = 0

    @contextmanager
    def running(self) -> Iterator[None]:
        """Count the time of the enclosed work (nested uses count once)."""
        if self._depth == 0:
            self._since = self.clock.monotonic()
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
            if self._depth == 0 and self._since is not None:
                self._spent += self.clock.monotonic() - self._since
                self._since = None

    def spent(self) -> float:
        running = self.clock.monotonic() - self._since if self._since is not None else 0.0
        return self._spent + running

    def remaining(self) -> float:
        """Seconds left, never negative."""
        return max(0.0, self.seconds - self.spent())

    def passed(self) -> bool:
        return self.remaining() <= 0.0

    def allows(self, wait: float) -> bool:
        """Whether waiting `wait` seconds still leaves time before the deadline."""
        return wait < self.remaining()


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How many attempts a call gets and the wait after its `n`-th failure.

    The wait after the `n`-th failure is `first * factor ** (n - 1) - less`, at most `cap`;
    from the second failure on, with `jitter`, it is drawn from `[w, w * (1 + jitter)]`.
    `less` expresses the Azure storage SDK's `(2 ** n - 1) * unit` schedule; `jitter` the
    toolkit's randomised Twirp backoff.
    """

    attempts: int
    first: float
    factor: float = 2.0
    less: float = 0.0
    cap: float = float("inf")
    jitter: float = 0.0
    uniform: Callable[[float, float], float] = field(default=random.uniform, compare=False)

    def wait(self, failures: int, uniform: Callable[[float, float], float] | None = None) -> float:
        """Seconds to wait after the `failures`-th failed attempt (1 for the first)."""
        n = max(1, failures)
        wait = min(self.cap, self.first * self.factor ** (n - 1) - self.less)
        if self.jitter and n > 1:
            wait = (uniform or self.uniform)(wait, wait * (1 + self.jitter))
        return max(0.0, wait)

    def more(self, failures: int) -> bool:
        """Whether a call that failed `failures` times gets another attempt."""
        return failures < self.attempts


def retry_after(headers: Mapping[str, str], now: float) -> float | None:
    """Seconds to wait from a `Retry-After` header (lower-case keys), None when absent or garbage.

    Both forms of RFC 9110: delay-seconds (`120`) and an HTTP-date (`Wed, 21 Oct 2026 07:28:00
    GMT`, relative to `now`, wall-clock epoch seconds; a date in the past means no wait).
    Anything else (negative, fractional, words, an absurd length) is garbage: the caller then
    applies its own default.
    """
    value = headers.get("retry-after")
    if value is None:
        return None
    text = value.strip()
    if not text or len(text) > _HEADER_CAP:
        return None
    if text.isascii() and text.isdigit():
        return float(int(text))
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if moment.tzinfo is None:  # "-0000": RFC 9110 dates are GMT anyway
        moment = moment.replace(tzinfo=UTC)
    try:
        return max(0.0, moment.timestamp() - now)
    except (OverflowError, OSError, ValueError):
        return None
