"""The consumer's flight recorder: bounded, cheap to write, readable when a record goes missing."""

from __future__ import annotations

from faust.types import TP

from newsflow.flight_recorder import FlightRecorder, partition_names


def test_steps_are_kept_oldest_first_up_to_the_bound() -> None:
    recorder = FlightRecorder(steps_kept=3)
    for offset in range(5):
        recorder.record_message("deliver", TP("news.raw", 2), offset, 7)
    lines = recorder.text().splitlines()
    assert [line.split(" ", 1)[1] for line in lines] == [
        "deliver news.raw/2@2 g7",
        "deliver news.raw/2@3 g7",
        "deliver news.raw/2@4 g7",
    ]
    assert lines[-1].startswith("+0.0000 ")  # times are relative to the newest step
    assert float(lines[0].split(" ", 1)[0]) <= 0


def test_the_last_steps_alone_can_be_read() -> None:
    recorder = FlightRecorder()
    recorder.record("seek", "generation 3, flow_active=False")
    recorder.record("resume_flow", partition_names({TP("news.raw", 3), TP("news.raw", 2)}))
    assert recorder.text(last=1).endswith("resume_flow news.raw/2 news.raw/3")
    assert recorder.text(last=0) == ""
    assert FlightRecorder().text() == ""
