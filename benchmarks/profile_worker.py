"""Where a running newsflow worker spends its CPU, by stage: py-spy samples summed per module family.

    python benchmarks/profile_worker.py --pid 12345 --seconds 30     # sample a live worker
    python benchmarks/profile_worker.py --raw profile.txt            # summarise an earlier recording
    python benchmarks/throughput.py --systems newsflow --workers 1 --profile   # during the backlog run

py-spy (``pip install py-spy``) attaches with ptrace and records in ``--nonblocking`` mode, so the
worker is never paused. Idle time (threads waiting on sockets) is not sampled; the table shares
are of busy CPU. Each sample's *self* family is the innermost frame that belongs to a known family
(so time in lingua, regex or onnx counts for the stage that called it); *cumulative* counts a sample
for every family anywhere on its stack.
"""

from __future__ import annotations

import argparse
import shutil
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

# (family, module path prefixes as py-spy prints them: "aiokafka/conn.py"). The first family a frame
# matches is its family, so the stages come before the rest of newsflow.
FAMILIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("clean", ("newsflow/stages/clean", "newsflow/stages/boilerplate")),
    ("dedup", ("newsflow/stages/dedup",)),
    ("language", ("newsflow/stages/language",)),
    ("entities", ("newsflow/stages/entities",)),
    ("json", ("newsflow/codecs", "orjson", "json/")),
    ("newsflow glue", ("newsflow/",)),
    ("faust/aiokafka", ("faust/", "mode/", "aiokafka/", "kafka/", "rocksdict", "rocksdb", "prometheus_client/")),
)
# Everything up to the event loop's callback runner is the same on every stack (runpy, typer, the
# worker's run_forever); a task's own frames start after it.
LOOP_ENTRY = "Handle._run (asyncio/events.py"
OTHER = "other (event loop, stdlib, threads)"


def family(frame: str) -> str | None:
    """A py-spy raw frame, ``function (path/to/file.py:line)``, to its family."""
    location = "/" + frame.rsplit("(", 1)[-1]
    for name, prefixes in FAMILIES:
        if any("/" + prefix in location for prefix in prefixes):
            return name
    return None


def task_frames(stack: str) -> list[str]:
    frames = stack.split(";")
    entries = [i for i, frame in enumerate(frames) if frame.startswith(LOOP_ENTRY)]
    return frames[entries[-1] + 1 :] if entries else frames


def summarise(raw: str) -> tuple[Counter[str], Counter[str], int]:
    """(self samples, cumulative samples, total samples) per family from py-spy ``--format raw`` output."""
    self_counts, cumulative, _, total = _count(raw)
    return self_counts, cumulative, total


def _count(raw: str) -> tuple[Counter[str], Counter[str], Counter[str], int]:
    self_counts: Counter[str] = Counter()
    cumulative: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    total = 0
    for line in raw.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        families = [family(frame) for frame in task_frames(stack)]
        known = [f for f in families if f is not None]
        self_counts[known[-1] if known else OTHER] += count
        for name in set(known) or {OTHER}:
            cumulative[name] += count
        leaves[_short(stack.rsplit(";", 1)[-1])] += count
    return self_counts, cumulative, leaves, total


def _short(frame: str) -> str:
    """``func (/long/path/pkg/mod.py:12)`` -> ``func (pkg/mod.py:12)``."""
    name, _, location = frame.partition(" (")
    parts = location.rstrip(")").split("/")
    return f"{name} ({'/'.join(parts[-2:])})"


def table(raw: str, top: int = 12) -> str:
    self_counts, cumulative, leaves, total = _count(raw)
    if total == 0:
        return "no samples recorded"
    lines = [f"{'family':<36} {'self':>7} {'cumulative':>11}   ({total} busy samples)"]
    names = [name for name, _ in FAMILIES] + [OTHER]
    for name in sorted(names, key=lambda n: -self_counts[n]):
        lines.append(f"{name:<36} {self_counts[name] / total:>7.1%} {cumulative[name] / total:>11.1%}")
    lines.append(f"top {top} innermost frames:")
    lines += [f"  {count / total:>6.1%}  {frame}" for frame, count in leaves.most_common(top)]
    return "\n".join(lines)


def py_spy() -> str | None:
    beside = Path(sys.executable).with_name("py-spy")
    return str(beside) if beside.exists() else shutil.which("py-spy")


def start(pid: int, out: Path, rate: int = 50, seconds: float | None = None) -> subprocess.Popen[bytes]:
    """Start recording ``pid``; stop with :func:`finish` (py-spy writes its file on SIGINT)."""
    binary = py_spy()
    if binary is None:
        raise FileNotFoundError("py-spy is not installed: pip install py-spy")
    argv = [binary, "record", "--pid", str(pid), "--nonblocking", "--format", "raw", "--rate", str(rate)]
    argv += ["-o", str(out)] + (["--duration", str(int(seconds))] if seconds else [])
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def finish(process: subprocess.Popen[bytes], timeout: float = 30.0) -> str:
    """Stop the recording and return py-spy's own messages (they say why, when ptrace is refused)."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    return output.decode(errors="replace")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pid", type=int, help="worker process to sample")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--rate", type=int, default=50, help="samples per second")
    parser.add_argument("--raw", type=Path, help="summarise this py-spy raw file instead of recording")
    parser.add_argument("--out", type=Path, default=Path("py-spy-raw.txt"))
    args = parser.parse_args()
    if args.raw is None:
        if args.pid is None:
            parser.error("give --pid or --raw")
        process = start(args.pid, args.out, args.rate, args.seconds)
        process.wait()
        messages = finish(process)
        if not args.out.exists():
            raise SystemExit(f"py-spy recorded nothing:\n{messages}")
        args.raw = args.out
    print(table(args.raw.read_text()))


if __name__ == "__main__":
    main()
