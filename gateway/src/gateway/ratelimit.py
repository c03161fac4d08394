"""Rate limits in Redis: token buckets per client, per user and per caller IP, one round trip per request.

All the buckets of one request are checked and taken from by a single Lua script (EVALSHA of a
script loaded once): a request passes only if every bucket holds a token, and then one token is
taken from each; a refused request takes nothing. Time comes from Redis (`TIME`), so replicas of
the gateway share the buckets without trusting each other's clocks. A bucket is a hash
{t: tokens, ts: µs} that expires once it would be full again, so idle callers cost no memory.

When Redis cannot be reached the gateway lets requests through (fail open), counts them in
`gateway_rate_limit_decisions_total{outcome="unavailable"}` and logs a warning once per outage.
Rate limits protect capacity; they are not an access control: tokens and scopes are still
checked without Redis, and failing closed would turn a Redis outage into an outage of every
API for every agency system and citizen. After a failure Redis is left alone for
`retry_after_failure_s`, so a dead Redis does not add a connect timeout to every request.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from prometheus_client import Counter
from redis.asyncio import Redis
from redis.commands.core import AsyncScript
from redis.exceptions import NoScriptError, RedisError

_log = logging.getLogger("gateway.ratelimit")

DECISIONS = Counter(
    "gateway_rate_limit_decisions_total",
    "Rate-limit decisions of the gateway (unavailable: Redis unreachable, the request was let through)",
    ["outcome"],
)
LIMITED = Counter(
    "gateway_rate_limited_total", "Requests refused with 429, by the bucket class that ran dry", ["bucket"]
)

# KEYS: one per bucket. ARGV: rate (tokens/s) and burst for each key, in order.
# Returns {allowed, index of the bucket that refused (1-based, 0 if none), µs until it has a token,
#          then per bucket: whole tokens left, µs until full}.
TOKEN_BUCKET_LUA = """
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local n = #KEYS
local tokens = {}
local allowed = 1
local limited = 0
local wait = 0
for i = 1, n do
  local rate = tonumber(ARGV[2 * i - 1])
  local burst = tonumber(ARGV[2 * i])
  local state = redis.call('HMGET', KEYS[i], 't', 'ts')
  local tok = tonumber(state[1])
  local ts = tonumber(state[2])
  if tok == nil or ts == nil then
    tok = burst
  else
    local elapsed = now - ts
    if elapsed < 0 then elapsed = 0 end
    tok = math.min(burst, tok + elapsed * rate / 1000000)
  end
  tokens[i] = tok
  if tok < 1 then
    allowed = 0
    local w = math.ceil((1 - tok) * 1000000 / rate)
    if w > wait then
      wait = w
      limited = i
    end
  end
end
local out = {allowed, limited, wait}
for i = 1, n do
  local rate = tonumber(ARGV[2 * i - 1])
  local burst = tonumber(ARGV[2 * i])
  local tok = tokens[i]
  if allowed == 1 then
    tok = tok - 1
    redis.call('HSET', KEYS[i], 't', tostring(tok), 'ts', tostring(now))
    redis.call('PEXPIRE', KEYS[i], math.ceil(burst * 1000 / rate) + 1000)
  end
  out[3 + 2 * i - 1] = math.floor(tok)
  out[3 + 2 * i] = math.ceil((burst - tok) * 1000000 / rate)
end
return out
"""

Outcome = Literal["allowed", "limited", "unavailable"]


@dataclass(frozen=True)
class Limit:
    """One bucket class: `rate` tokens per second refill, at most `burst` tokens."""

    bucket: str  # "client", "user", "ip"
    rate: float
    burst: int

    @property
    def window_s(self) -> float:
        return self.burst / self.rate


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    limit: Limit | None = None  # the bucket reported in RateLimit-* (the one that refused, else the emptiest)
    remaining: int = 0
    reset_s: int = 0  # seconds until that bucket is full again
    retry_after_s: int = 0  # on 429: seconds until it holds a token

    @property
    def allowed(self) -> bool:
        return self.outcome != "limited"

    @property
    def label(self) -> str:
        """For the access log: allowed, limited:<bucket> or unavailable."""
        if self.outcome == "limited" and self.limit is not None:
            return f"limited:{self.limit.bucket}"
        return self.outcome

    def headers(self) -> list[tuple[bytes, bytes]]:
        """RateLimit-* (draft-ietf-httpapi-ratelimit-headers) and, on 429, Retry-After."""
        if self.limit is None:
            return []
        out = [
            (b"ratelimit-limit", str(self.limit.burst).encode()),
            (b"ratelimit-remaining", str(self.remaining).encode()),
            (b"ratelimit-reset", str(self.reset_s).encode()),
            (b"ratelimit-policy", f"{self.limit.burst};w={math.ceil(self.limit.window_s)}".encode()),
        ]
        if self.outcome == "limited":
            out.append((b"retry-after", str(self.retry_after_s).encode()))
        return out


UNAVAILABLE = Decision("unavailable")


class RateLimiter:
    """Token buckets in Redis; `check` costs one EVALSHA round trip whatever the number of buckets."""

    def __init__(self, redis: Redis, *, key_prefix: str = "gw:rl:", retry_after_failure_s: float = 1.0) -> None:
        self._redis = redis
        self._script = AsyncScript(redis, TOKEN_BUCKET_LUA)
        self._prefix = key_prefix
        self._pause_s = retry_after_failure_s
        self._down_until = 0.0
        self._down = False

    async def load(self) -> None:
        """Load the script once at start-up; Redis being down then is not fatal."""
        try:
            self._script.sha = await self._redis.script_load(TOKEN_BUCKET_LUA)
        except (RedisError, OSError) as exc:
            self._failed(exc)

    def key(self, limit: Limit, identity: str) -> str:
        return f"{self._prefix}{limit.bucket}:{identity}"

    async def check(self, buckets: Sequence[tuple[Limit, str]]) -> Decision:
        """Take a token from every bucket (limit, identity), or from none and say which one refused."""
        if self._down and time.monotonic() < self._down_until:
            DECISIONS.labels("unavailable").inc()
            return UNAVAILABLE
        keys = [self.key(limit, identity) for limit, identity in buckets]
        args: list[float | int] = []
        for limit, _ in buckets:
            args += (limit.rate, limit.burst)
        try:
            try:
                result = await self._redis.evalsha(self._script.sha, len(keys), *keys, *args)
            except NoScriptError:  # Redis restarted or flushed its scripts: load once more
                self._script.sha = await self._redis.script_load(TOKEN_BUCKET_LUA)
                result = await self._redis.evalsha(self._script.sha, len(keys), *keys, *args)
        except (RedisError, OSError) as exc:
            self._failed(exc)
            DECISIONS.labels("unavailable").inc()
            return UNAVAILABLE
        if self._down:
            self._down = False
            _log.warning("rate limiting resumed: Redis is reachable again")
        return self._decision(buckets, result)

    def _decision(self, buckets: Sequence[tuple[Limit, str]], result: list[int]) -> Decision:
        allowed, refused, wait_us = int(result[0]), int(result[1]), int(result[2])
        if not allowed:
            limit = buckets[refused - 1][0]
            DECISIONS.labels("limited").inc()
            LIMITED.labels(limit.bucket).inc()
            return Decision(
                "limited",
                limit,
                remaining=0,
                reset_s=math.ceil(int(result[2 + 2 * refused]) / 1e6),
                retry_after_s=max(1, math.ceil(wait_us / 1e6)),
            )
        # Report the bucket with the fewest tokens left relative to its size.
        best = 0
        for i in range(1, len(buckets)):
            if result[3 + 2 * i] / buckets[i][0].burst < result[3 + 2 * best] / buckets[best][0].burst:
                best = i
        DECISIONS.labels("allowed").inc()
        return Decision(
            "allowed",
            buckets[best][0],
            remaining=max(0, int(result[3 + 2 * best])),
            reset_s=math.ceil(int(result[4 + 2 * best]) / 1e6),
        )

    def _failed(self, exc: BaseException) -> None:
        self._down_until = time.monotonic() + self._pause_s
        if not self._down:
            self._down = True
            _log.warning(
                "rate limiting suspended: Redis is unreachable; requests pass unlimited (fail open)",
                extra={"error": repr(exc)},
            )
