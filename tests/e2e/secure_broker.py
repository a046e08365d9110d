"""A second, throwaway Kafka broker with TLS and SASL/SCRAM-SHA-512, for the security e2e tests.

It runs through ``deploy/kafka-local/kafka.sh`` like every other local broker, on its own ports and
data dir under the test's tmp dir:

- ``PLAINTEXT://127.0.0.1:29092``: admin, inter-broker traffic and kafka.sh's readiness probe;
- ``SASL_SSL://127.0.0.1:29094``: the only listener newsflow is given (SCRAM-SHA-512 over TLS);
- ``CONTROLLER://127.0.0.1:29093``: KRaft.

A fresh CA and a broker certificate (SAN ``IP:127.0.0.1``) are made with the ``openssl`` CLI. The
SCRAM user is written into the KRaft metadata when the storage is formatted (``StorageTool format
--add-scram``), so it exists before the broker accepts its first connection. kafka.sh has no way to
pass extra format arguments, so this module formats the data dir itself before ``kafka.sh start``;
the script then sees ``meta.properties`` and skips its own format.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
KAFKA_SH = ROOT / "deploy" / "kafka-local" / "kafka.sh"
HOST = "127.0.0.1"
KAFKA_VERSION = "3.9.2"
# kafka.sh's default cluster id; the pre-format must use the same one the script would.
CLUSTER_ID = "bmV3c2Zsb3ctbG9jYWwtMQ"
# 29xxx: clear of the CI broker (28092), a developer's broker (9092) and other helpers (19092).
ADMIN_PORT = 29092
CONTROLLER_PORT = 29093
SASL_SSL_PORT = 29094
MECHANISM = "SCRAM-SHA-512"


def kafka_libs_dir() -> Path:
    """Where kafka.sh caches the broker jars (same defaults as the script)."""
    cache = Path(os.environ.get("NEWSFLOW_CACHE") or Path.home() / ".cache" / "newsflow")
    return Path(os.environ.get("KAFKA_LIBS_DIR") or cache / f"kafka-{KAFKA_VERSION}" / "libs")


def missing_prerequisite() -> str | None:
    """Why this machine cannot run the secure broker, or None when it can."""
    java = Path(os.environ["JAVA_HOME"], "bin", "java") if os.environ.get("JAVA_HOME") else shutil.which("java")
    if java is None or not Path(java).exists():
        return "java not found (Kafka needs Java 17)"
    if shutil.which("openssl") is None:
        return "the openssl CLI is not installed"
    libs = kafka_libs_dir()
    if not (libs / f"kafka_2.13-{KAFKA_VERSION}.jar").is_file():
        return f"no Kafka {KAFKA_VERSION} jars in {libs}; run deploy/kafka-local/kafka.sh fetch"
    return None


@dataclass(frozen=True)
class TlsFiles:
    ca_cert: Path
    broker_keystore: Path  # PEM: unencrypted PKCS#8 key followed by the certificate


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def make_tls_files(directory: Path) -> TlsFiles:
    """A one-day test CA and a broker certificate it signed, for 127.0.0.1 and localhost."""
    directory.mkdir(parents=True, exist_ok=True)
    # EC P-256 keys: generated in milliseconds, unlike RSA on a busy 2-core machine.
    curve = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-noenc")
    _openssl(
        "req",
        "-x509",
        *curve,
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "1",
        "-subj",
        "/CN=newsflow test CA",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
        cwd=directory,
    )
    _openssl(
        "req",
        "-new",
        *curve,
        "-keyout",
        "broker.key",
        "-out",
        "broker.csr",
        "-subj",
        "/CN=newsflow test broker",
        cwd=directory,
    )
    # Python's default context checks the SAN (not the CN) and, since 3.13, strict X.509 fields.
    (directory / "broker.ext").write_text(
        "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
        "basicConstraints=critical,CA:FALSE\n"
        "keyUsage=critical,digitalSignature,keyEncipherment\n"
        "extendedKeyUsage=serverAuth\n"
        "subjectKeyIdentifier=hash\n"
        "authorityKeyIdentifier=keyid,issuer\n"
    )
    _openssl(
        "x509",
        "-req",
        "-in",
        "broker.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "broker.pem",
        "-days",
        "1",
        "-extfile",
        "broker.ext",
        cwd=directory,
    )
    keystore = directory / "broker-keystore.pem"
    keystore.write_text((directory / "broker.key").read_text() + (directory / "broker.pem").read_text())
    keystore.chmod(0o600)
    return TlsFiles(ca_cert=directory / "ca.pem", broker_keystore=keystore)


def server_properties(tls: TlsFiles, plain_user: tuple[str, str] | None = None) -> str:
    """Lines for KAFKA_EXTRA_CONFIG: they override kafka.sh's listeners and add TLS + SCRAM (and PLAIN for
    ``plain_user``, a (name, password) pair kept in the JAAS line)."""
    mechanisms = MECHANISM
    plain: list[str] = []
    if plain_user is not None:
        mechanisms += ",PLAIN"
        plain = [
            "listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain."
            f'PlainLoginModule required user_{plain_user[0]}="{plain_user[1]}";'
        ]
    return "\n".join(
        [
            f"listeners=PLAINTEXT://{HOST}:{ADMIN_PORT},SASL_SSL://{HOST}:{SASL_SSL_PORT},"
            f"CONTROLLER://{HOST}:{CONTROLLER_PORT}",
            f"advertised.listeners=PLAINTEXT://{HOST}:{ADMIN_PORT},SASL_SSL://{HOST}:{SASL_SSL_PORT}",
            "inter.broker.listener.name=PLAINTEXT",
            f"listener.name.sasl_ssl.sasl.enabled.mechanisms={mechanisms}",
            f"sasl.enabled.mechanisms={mechanisms}",
            "listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config="
            "org.apache.kafka.common.security.scram.ScramLoginModule required;",
            *plain,
            # A PEM file (key + chain) is read directly since Kafka 2.7 (KIP-651); no PKCS12 or keytool.
            "listener.name.sasl_ssl.ssl.keystore.type=PEM",
            f"listener.name.sasl_ssl.ssl.keystore.location={tls.broker_keystore}",
            "listener.name.sasl_ssl.ssl.client.auth=none",
            # As on a managed cluster: every topic must come from `newsflow topics create` or the worker.
            "auto.create.topics.enable=false",
            "",
        ]
    )


@dataclass
class SecureBroker:
    """One broker under ``root``: ``start()`` formats (with the SCRAM user) and starts, ``stop()`` stops."""

    root: Path
    username: str
    password: str
    # Also accept SASL/PLAIN with the same name and password (for the debug-logging leak check).
    enable_plain: bool = False

    def __post_init__(self) -> None:
        self.data_dir = self.root / "kafka-data"
        self.tls = make_tls_files(self.root / "tls")
        self.extra_config = self.root / "secure-broker.properties"
        plain_user = (self.username, self.password) if self.enable_plain else None
        self.extra_config.write_text(server_properties(self.tls, plain_user))
        self.extra_config.chmod(0o600)

    @property
    def bootstrap(self) -> str:
        return f"{HOST}:{SASL_SSL_PORT}"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "kafka.log"

    def script_env(self) -> dict[str, str]:
        """kafka.sh's environment: every port and path set here, so nothing leaks in from scripts/test."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("KAFKA_")}
        env.update(
            KAFKA_VERSION=KAFKA_VERSION,
            KAFKA_LIBS_DIR=str(kafka_libs_dir()),
            KAFKA_PORT=str(ADMIN_PORT),
            KAFKA_CONTROLLER_PORT=str(CONTROLLER_PORT),
            KAFKA_DATA_DIR=str(self.data_dir),
            KAFKA_EXTRA_CONFIG=str(self.extra_config),
            KAFKA_CLUSTER_ID=CLUSTER_ID,
            KAFKA_HEAP_OPTS="-Xms128m -Xmx512m",
            KAFKA_START_TIMEOUT="90",
            KAFKA_STOP_TIMEOUT="20",
        )
        return env

    def _script(self, command: str, timeout: float) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", str(KAFKA_SH), command],
            env=self.script_env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def format_with_scram_user(self) -> None:
        """``StorageTool format --add-scram``: the user is in the metadata log from the first start."""
        written = self._script("config", timeout=30)
        if written.returncode != 0:
            raise RuntimeError(f"kafka.sh config failed:\n{written.stdout}{written.stderr}")
        java = str(Path(os.environ["JAVA_HOME"], "bin", "java")) if os.environ.get("JAVA_HOME") else "java"
        scram = f"{MECHANISM}=[name={self.username},password={self.password}]"
        formatted = subprocess.run(
            [
                java,
                "-Xmx256m",
                "-cp",
                f"{kafka_libs_dir()}/*",
                "kafka.tools.StorageTool",
                "format",
                "-t",
                CLUSTER_ID,
                "-c",
                str(self.data_dir / "server.properties"),
                "--add-scram",
                scram,
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if formatted.returncode != 0:
            # The command line holds the password; print only the tool's own output.
            raise RuntimeError(f"StorageTool format failed:\n{formatted.stdout}{formatted.stderr}")

    def start(self) -> None:
        for port in (ADMIN_PORT, CONTROLLER_PORT, SASL_SSL_PORT):
            if _port_open(port):
                raise RuntimeError(
                    f"{HOST}:{port} is already in use; a secure broker from an earlier run may be "
                    f"left over (look for a kafka.Kafka process with '{ADMIN_PORT}' in its config)"
                )
        self.format_with_scram_user()
        started = self._script("start", timeout=150)
        if started.returncode != 0:
            raise RuntimeError(f"kafka.sh start failed:\n{started.stdout}{started.stderr}")

    def stop(self) -> None:
        self._script("stop", timeout=60)

    def log_size(self) -> int:
        return self.log_file.stat().st_size

    def wait_for_log(self, fragment: str, *, since: int, timeout: float = 10.0) -> str | None:
        """The first broker log line after byte ``since`` that contains ``fragment``, or None after ``timeout``."""
        deadline = time.monotonic() + timeout
        while True:
            with self.log_file.open("rb") as log:
                log.seek(since)
                for line in log.read().decode(errors="replace").splitlines():
                    if fragment in line:
                        return line
            if time.monotonic() >= deadline:
                return None
            time.sleep(0.2)

    def client_env(
        self,
        base: dict[str, str],
        *,
        protocol: str = "SASL_SSL",
        password: str | None = None,
        trust_test_ca: bool = True,
        mechanism: str = MECHANISM,
    ) -> dict[str, str]:
        """newsflow's environment for this broker. Every security variable is set (empty = unset), so none
        leaks in from the caller's environment."""
        sasl = protocol.startswith("SASL")
        env = dict(base)
        env.update(
            KAFKA_BOOTSTRAP=self.bootstrap,
            NEWSFLOW_KAFKA_SECURITY_PROTOCOL=protocol,
            NEWSFLOW_KAFKA_SASL_MECHANISM=mechanism if sasl else "",
            NEWSFLOW_KAFKA_SASL_USERNAME=self.username if sasl else "",
            NEWSFLOW_KAFKA_SASL_PASSWORD=(self.password if password is None else password) if sasl else "",
            NEWSFLOW_KAFKA_SSL_CAFILE=str(self.tls.ca_cert) if trust_test_ca else "",
            NEWSFLOW_KAFKA_SSL_CERTFILE="",
            NEWSFLOW_KAFKA_SSL_KEYFILE="",
        )
        return env


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=1):
            return True
    except OSError:
        return False
