"""The predictor's watchdog as pure state: an inference running past STALL_SECONDS is named
once, and only one of the current generation."""

from humanizer.daemon.watchdog import STALL_SECONDS, InferenceWatch


def test_a_stalled_inference_is_named_once_and_moves_the_generation_on():
    watch = InferenceWatch()
    assert watch.stalled(100.0) is None  # nothing running
    watch.begin("style", 10.0, 0)
    assert watch.stalled(10.0 + STALL_SECONDS) is None  # not past the limit yet
    assert watch.stalled(10.0 + STALL_SECONDS + 0.01) == "style"
    assert watch.generation == 1 and not watch.current(0) and watch.current(1)
    assert watch.stalled(1000.0) is None  # said once


def test_an_abandoned_predictor_can_neither_start_nor_end_an_inference_that_counts():
    watch = InferenceWatch()
    watch.begin("stuck", 0.0, 0)
    watch.stalled(STALL_SECONDS + 1.0)
    watch.begin("fresh", 5.0, 1)  # the new predictor's
    watch.end(0)  # the old one returns at last: changes nothing
    watch.begin("old again", 6.0, 0)  # nor does it start again
    assert watch.stalled(5.0 + STALL_SECONDS + 0.5) == "fresh"


def test_an_inference_that_ends_in_time_is_never_stalled():
    watch = InferenceWatch()
    watch.begin("quick", 0.0, 0)
    watch.end(0)
    assert watch.stalled(60.0) is None and watch.generation == 0
