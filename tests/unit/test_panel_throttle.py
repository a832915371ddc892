"""Wrong panel passwords: ten are free, then each further try from that address waits twice as
long as the last, up to a ceiling; a right password clears the count; other addresses are not
slowed by it."""

import pytest

from panel.throttle import FREE_TRIES, MAX_WAIT_S, Throttle, delay


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(("failures", "wait"), [(0, 0), (1, 0), (FREE_TRIES - 1, 0), (FREE_TRIES, 1),
                                                (FREE_TRIES + 1, 2), (FREE_TRIES + 3, 8), (FREE_TRIES + 40, MAX_WAIT_S)])
def test_the_delay_grows_after_ten_wrong_passwords(failures, wait):
    assert delay(failures) == wait


def test_ten_wrong_passwords_slow_that_address_down_and_only_it():
    clock = Clock()
    throttle = Throttle(clock)
    for _ in range(FREE_TRIES - 1):
        throttle.failed("10.0.0.9")
        assert throttle.wait_for("10.0.0.9") == 0
    assert throttle.failed("10.0.0.9") == FREE_TRIES
    assert throttle.wait_for("10.0.0.9") == 1
    assert throttle.wait_for("10.0.0.7") == 0
    clock.now += 1
    assert throttle.wait_for("10.0.0.9") == 0
    throttle.failed("10.0.0.9")
    assert throttle.wait_for("10.0.0.9") == 2


def test_a_right_password_clears_the_count():
    throttle = Throttle(Clock())
    for _ in range(FREE_TRIES + 2):
        throttle.failed("10.0.0.9")
    throttle.succeeded("10.0.0.9")
    assert throttle.wait_for("10.0.0.9") == 0
    assert throttle.failed("10.0.0.9") == 1


def test_addresses_quiet_for_an_hour_are_forgotten():
    clock = Clock()
    throttle = Throttle(clock)
    for _ in range(FREE_TRIES):
        throttle.failed("10.0.0.9")
    clock.now += 3601
    throttle.failed("10.0.0.8")  # any failure prunes
    assert throttle.failed("10.0.0.9") == 1
