"""Kafka connection settings for every client newsflow makes (Faust worker, CLI, admin).

One function per client family, all from the same :class:`~newsflow.config.Settings`,
so TLS and SASL are configured in one place.
"""

from __future__ import annotations

import logging
import ssl
from typing import Any

from newsflow.config import Settings


def ssl_context(settings: Settings) -> ssl.SSLContext | None:
    if not settings.kafka_security_protocol.endswith("SSL"):
        return None
    context = ssl.create_default_context(cafile=settings.kafka_ssl_cafile)
    if settings.kafka_ssl_certfile:
        context.load_cert_chain(settings.kafka_ssl_certfile, settings.kafka_ssl_keyfile)
    return context


def aiokafka_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments shared by AIOKafkaProducer, AIOKafkaConsumer and AIOKafkaAdminClient."""
    options: dict[str, Any] = {
        "bootstrap_servers": settings.kafka_bootstrap,
        "security_protocol": settings.kafka_security_protocol,
    }
    context = ssl_context(settings)
    if context is not None:
        options["ssl_context"] = context
    if settings.kafka_security_protocol.startswith("SASL"):
        options["sasl_mechanism"] = settings.kafka_sasl_mechanism
        options["sasl_plain_username"] = settings.kafka_sasl_username
        options["sasl_plain_password"] = settings.kafka_sasl_password
    return options


def faust_broker_options(settings: Settings) -> dict[str, Any]:
    """``broker`` and ``broker_credentials`` for :class:`faust.App`."""
    import faust
    from faust.types.auth import SASLMechanism

    brokers = ";".join(f"kafka://{host}" for host in settings.kafka_bootstrap.split(","))
    credentials: Any = None
    context = ssl_context(settings)
    if settings.kafka_security_protocol.startswith("SASL"):
        credentials = faust.SASLCredentials(
            username=settings.kafka_sasl_username,
            password=settings.kafka_sasl_password,
            mechanism=SASLMechanism(settings.kafka_sasl_mechanism),
            ssl_context=context,
        )
    elif context is not None:
        credentials = faust.SSLCredentials(context)
    return {"broker": brokers, "broker_credentials": credentials}


class RedactSaslAuthentication(logging.Filter):
    """aiokafka logs every request at DEBUG; for SASL/PLAIN the auth request holds the password."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                "SaslAuthenticateRequest(<redacted>)"
                if type(arg).__name__.startswith("SaslAuthenticateRequest")
                else arg
                for arg in record.args
            )
        return True


def redact_client_logs() -> None:
    """Install the redaction filter once (loggers live for the process)."""
    logger = logging.getLogger("aiokafka.conn")
    if not any(isinstance(f, RedactSaslAuthentication) for f in logger.filters):
        logger.addFilter(RedactSaslAuthentication())
