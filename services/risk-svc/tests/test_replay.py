"""The rebuild's broker calls: timeouts and retriable errors are retried with backoff, the rest fail with a reason."""

from __future__ import annotations

import pytest
from aiokafka.errors import KafkaTimeoutError, RequestTimedOutError, UnsupportedVersionError

from risk_svc.features.service import ReplayError, with_retries


class Flaky:
    def __init__(self, failures: list[Exception]) -> None:
        self.failures = failures
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return "offsets"


@pytest.mark.asyncio
class TestWithRetries:
    async def test_retries_timeouts_until_the_broker_answers(self) -> None:
        call = Flaky([KafkaTimeoutError(), RequestTimedOutError(), TimeoutError()])
        assert await with_retries("end_offsets", call, first_delay_s=0.01) == "offsets"
        assert call.calls == 4

    async def test_gives_up_after_the_last_attempt_naming_the_call(self) -> None:
        call = Flaky([KafkaTimeoutError() for _ in range(5)])
        with pytest.raises(ReplayError, match=r"end_offsets failed after 3 attempts: KafkaTimeoutError"):
            await with_retries("end_offsets", call, attempts=3, first_delay_s=0.01)
        assert call.calls == 3

    async def test_does_not_retry_what_retrying_cannot_fix(self) -> None:
        call = Flaky([UnsupportedVersionError()])
        with pytest.raises(ReplayError, match="beginning_offsets failed: UnsupportedVersionError"):
            await with_retries("beginning_offsets", call, first_delay_s=0.01)
        assert call.calls == 1
