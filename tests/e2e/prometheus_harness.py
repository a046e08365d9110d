"""Run a real, throw-away Prometheus next to a test and ask it the dashboard's questions.

Not a test module: the end-to-end tests and tests/test_observability.py import it.

    handle = start_prometheus(tmp_path, ["127.0.0.1:6066"], port=free_port())
    try:
        handle.wait_for_scrapes(3)
        for title, expr in dashboard_expressions(DASHBOARD):
            assert handle.query(expr), title
    finally:
        handle.stop()

The scrape job is called ``newsflow`` (what the alert rules and the dashboard's
``$job`` default select), scrapes every second, and evaluates the repository's
alert rules every second so a broken rule shows up in :meth:`PrometheusHandle.rules`.
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
DASHBOARD = REPO / "deploy" / "grafana" / "dashboards" / "newsflow.json"
ALERT_RULES = REPO / "deploy" / "prometheus" / "rules" / "newsflow-alerts.yml"
JOB = "newsflow"

# Values for Grafana's built-in variables when a dashboard query is sent straight to
# Prometheus. A 1 s scrape interval makes Grafana's $__rate_interval 4 s at the least;
# 1m keeps the windows wide enough that a short test has several samples in each.
DEFAULT_BUILTINS: Mapping[str, str] = {
    "__rate_interval": "1m",
    "__interval": "15s",
    "__interval_ms": "15000",
    "__range": "5m",
    "__range_s": "300",
    "__range_ms": "300000",
}

# $name, ${name}, ${name:format} and the deprecated [[name]].
_VARIABLE = re.compile(r"\$\{(\w+)(?::[^}]*)?\}|\$(\w+)|\[\[(\w+)(?::[^\]]*)?\]\]")


class PrometheusError(RuntimeError):
    """Prometheus did not start, or answered a query with an error."""


def prometheus_binary() -> str | None:
    return shutil.which("prometheus")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _get_json(url: str, timeout: float = 5.0) -> Any:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return json.load(response)
    except urllib.error.HTTPError as exc:
        # The API explains bad queries in the body of a 400/422.
        body = exc.read().decode("utf-8", "replace")
        raise PrometheusError(f"{url}: HTTP {exc.code}: {body}") from exc


@dataclass
class PrometheusHandle:
    process: subprocess.Popen[bytes]
    port: int
    config_path: Path
    log_path: Path
    _log_file: Any = field(repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, lines: int = 40) -> str:
        self._log_file.flush()
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def api(self, path: str, **params: str) -> Any:
        """GET ``/api/v1/<path>`` and return its ``data``; raise on ``status: error``."""
        query = urllib.parse.urlencode(params)
        url = f"{self.url}/api/v1/{path}" + (f"?{query}" if query else "")
        payload = _get_json(url)
        if payload.get("status") != "success":
            raise PrometheusError(f"{path} {params}: {payload}")
        return payload["data"]

    def query(self, expr: str) -> list[dict[str, Any]]:
        """Instant query at "now": the result list, one entry per series.

        Entries carry ``value`` ([time, "number"]), or ``values`` when ``expr`` is a range
        selector; a scalar result becomes a single entry.
        """
        data = self.api("query", query=expr)
        if data["resultType"] in {"scalar", "string"}:
            return [{"metric": {}, "value": data["result"]}]
        result: list[dict[str, Any]] = data["result"]
        return result

    def rules(self) -> list[dict[str, Any]]:
        groups: list[dict[str, Any]] = self.api("rules")["groups"]
        return groups

    def targets(self) -> list[dict[str, Any]]:
        active: list[dict[str, Any]] = self.api("targets")["activeTargets"]
        return active

    def wait_for_scrapes(self, count: int, timeout: float = 30.0, *, after: float | None = None) -> None:
        """Block until every target of the job has ``count`` successful scrapes.

        With ``after`` (a Unix time, e.g. ``time.time()`` once the records are processed) only
        scrapes that started later count: a series needs two samples in a window before
        ``rate()`` returns it.
        """
        deadline = time.monotonic() + timeout
        fewest = 0
        while time.monotonic() < deadline:
            self._check_alive()
            # A range selector in an instant query returns the raw samples with their scrape times.
            series = self.query(f'up{{job="{JOB}"}}[10m]')
            if series:
                fewest = min(
                    sum(1 for stamp, value in entry["values"] if value == "1" and (after is None or stamp > after))
                    for entry in series
                )
                if fewest >= count:
                    return
            time.sleep(0.25)
        raise PrometheusError(
            f"only {fewest} of {count} successful scrapes within {timeout} s; targets: {self.targets()}\n"
            f"{self.log_tail()}"
        )

    def wait_for_rule_evaluation(self, timeout: float = 30.0) -> list[dict[str, Any]]:
        """Block until every loaded rule has been evaluated at least once; return the groups."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            groups = self.rules()
            rules = [rule for group in groups for rule in group["rules"]]
            if rules and all(rule["health"] != "unknown" for rule in rules):
                return groups
            time.sleep(0.25)
        raise PrometheusError(f"rules not evaluated within {timeout} s:\n{self.log_tail()}")

    def _check_alive(self) -> None:
        if self.process.poll() is not None:
            raise PrometheusError(f"prometheus exited with {self.process.returncode}:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self._log_file.close()

    def __enter__(self) -> PrometheusHandle:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def write_config(
    path: Path,
    scrape_targets: Sequence[str],
    rule_files: Sequence[Path] = (ALERT_RULES,),
    scrape_interval: str = "1s",
) -> None:
    """A prometheus.yml scraping ``scrape_targets`` (host:port, path /metrics) as job ``newsflow``."""
    # JSON is valid YAML, which spares a YAML dependency.
    config = {
        "global": {"scrape_interval": scrape_interval, "evaluation_interval": scrape_interval},
        "rule_files": [str(Path(rule).resolve()) for rule in rule_files],
        "scrape_configs": [
            {
                "job_name": JOB,
                "metrics_path": "/metrics",
                "scrape_interval": scrape_interval,
                "scrape_timeout": scrape_interval,
                "static_configs": [{"targets": list(scrape_targets)}],
            }
        ],
    }
    path.write_text(json.dumps(config, indent=2), encoding="utf-8")


def start_prometheus(
    tmp_dir: Path | str,
    scrape_targets: Sequence[str],
    port: int,
    *,
    rule_files: Sequence[Path] = (ALERT_RULES,),
    scrape_interval: str = "1s",
    ready_timeout: float = 30.0,
) -> PrometheusHandle:
    """Start the ``prometheus`` binary on 127.0.0.1:``port`` with storage under ``tmp_dir``; wait until ready."""
    binary = prometheus_binary()
    if binary is None:
        raise PrometheusError("no `prometheus` on PATH; run scripts/install_prometheus.sh")
    base = Path(tmp_dir) / f"prometheus-{port}"
    (base / "data").mkdir(parents=True, exist_ok=True)
    config_path = base / "prometheus.yml"
    write_config(config_path, scrape_targets, rule_files, scrape_interval)
    log_path = base / "prometheus.log"
    log_file = log_path.open("wb")
    process = subprocess.Popen(
        [
            binary,
            f"--config.file={config_path}",
            f"--storage.tsdb.path={base / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--storage.tsdb.retention.time=1h",
            "--log.level=warn",
        ],
        stdout=log_file,
        stderr=subprocess.STDOUT,
        cwd=base,
    )
    handle = PrometheusHandle(process, port, config_path, log_path, log_file)
    deadline = time.monotonic() + ready_timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log = handle.log_tail()
            handle.stop()
            raise PrometheusError(f"prometheus exited with {process.returncode} during start-up:\n{log}")
        try:
            with urllib.request.urlopen(f"{handle.url}/-/ready", timeout=1) as response:
                if response.status == 200:
                    return handle
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    log = handle.log_tail()
    handle.stop()
    raise PrometheusError(f"prometheus not ready on port {port} within {ready_timeout} s:\n{log}")


def template_values(dashboard: Mapping[str, Any]) -> dict[str, str]:
    """What each dashboard variable expands to in a query: its current value, "All" as its allValue."""
    values: dict[str, str] = {}
    for variable in dashboard.get("templating", {}).get("list", []):
        name = variable["name"]
        current = variable.get("current", {}).get("value")
        chosen = current if isinstance(current, list) else [current] if current else []
        if not chosen or "$__all" in chosen:
            values[name] = variable.get("allValue") or ".*"
        elif len(chosen) == 1:
            values[name] = str(chosen[0])
        else:
            # Grafana's regex format for a multi-value selection.
            values[name] = "(" + "|".join(re.escape(str(value)) for value in chosen) + ")"
    return values


def substitute(expr: str, values: Mapping[str, str]) -> str:
    """Expand Grafana variables in ``expr``; an unknown variable is an error, not an empty string."""

    def replace(match: re.Match[str]) -> str:
        name = next(group for group in match.groups() if group is not None)
        if name not in values:
            raise KeyError(f"unknown Grafana variable ${name} in {expr!r}")
        return values[name]

    return _VARIABLE.sub(replace, expr)


def iter_panels(panels: Sequence[Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
    """Every panel, including those nested in (collapsed) rows."""
    for panel in panels:
        yield panel
        yield from iter_panels(panel.get("panels", []))


def dashboard_expressions(
    path: Path | str = DASHBOARD,
    overrides: Mapping[str, str] | None = None,
) -> list[tuple[str, str]]:
    """``(panel_title, expr)`` for every PromQL target, with Grafana variables substituted.

    ``overrides`` replaces built-ins or template variables, e.g. ``{"__rate_interval": "30s"}``.
    """
    dashboard = json.loads(Path(path).read_text(encoding="utf-8"))
    values = {**DEFAULT_BUILTINS, **template_values(dashboard), **(overrides or {})}
    expressions: list[tuple[str, str]] = []
    for panel in iter_panels(dashboard.get("panels", [])):
        for target in panel.get("targets", []):
            expr = target.get("expr")
            if expr:
                expressions.append((str(panel.get("title", "")), substitute(expr, values)))
    return expressions
