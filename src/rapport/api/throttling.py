"""Per-token rate limit (per user for session requests, per IP for anonymous ones).

A fixed window counter in the shared cache: one small integer per client and window, instead of
DRF's list of timestamps, which would be rewritten whole on every request. The rate comes from
``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["token"]`` (env ``API_RATE_LIMIT``, e.g. ``1200/min``).
"""

from __future__ import annotations

import time

from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from rapport.api.models import ApiToken

_PERIODS = {
    **dict.fromkeys(("s", "sec", "second"), 1),
    **dict.fromkeys(("m", "min", "minute"), 60),
    **dict.fromkeys(("h", "hour"), 3600),
    **dict.fromkeys(("d", "day"), 86400),
}


def parse_rate(rate: str) -> tuple[int, int]:
    """``"1200/min"`` -> (1200, 60). Raises ImproperlyConfigured for anything else."""
    try:
        count, period = rate.split("/")
        number = int(count)
        seconds = _PERIODS[period.strip().lower()]
    except (ValueError, KeyError, AttributeError):
        raise ImproperlyConfigured(
            f"API rate {rate!r} is not valid; write it as <requests>/<period>, e.g. 1200/min (periods: s, min, h, day)."
        ) from None
    if number < 1:
        raise ImproperlyConfigured(f"API rate {rate!r} must allow at least one request.")
    return number, seconds


class TokenRateThrottle(BaseThrottle):
    scope = "token"
    timer = time.time

    def __init__(self) -> None:
        self._wait: float | None = None

    def get_rate(self) -> str | None:
        # Read at request time (not import time) so settings overrides in tests take effect.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def client_key(self, request) -> str:
        if isinstance(request.auth, ApiToken):
            return f"token:{request.auth.pk}"
        if request.user and request.user.is_authenticated:
            return f"user:{request.user.pk}"
        return f"ip:{self.get_ident(request)}"

    def allow_request(self, request, view) -> bool:
        rate = self.get_rate()
        if not rate:
            return True
        limit, duration = parse_rate(rate)
        now = self.timer()
        window = int(now // duration)
        key = f"rapport:throttle:{self.scope}:{self.client_key(request)}:{window}"
        cache.add(key, 0, timeout=duration + 1)
        try:
            count = cache.incr(key)
        except ValueError:  # the key expired between add() and incr()
            cache.set(key, 1, timeout=duration + 1)
            count = 1
        if count > limit:
            self._wait = (window + 1) * duration - now
            return False
        return True

    def wait(self) -> float | None:
        return self._wait
