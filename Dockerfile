# syntax=docker/dockerfile:1
#
# newsflow worker image.
#
#   docker build -t newsflow:local .
#   docker run --rm -e KAFKA_BOOTSTRAP=broker:9092 newsflow:local worker
#
# The entry point is the `newsflow` CLI, so the same image runs every role:
# `worker` (default), `topics create`, `produce FILE...`.
#
# Adding spaCy NER pipelines: build a derived image, e.g.
#
#   FROM newsflow:local
#   USER root
#   RUN /opt/venv/bin/pip install --no-cache-dir "spacy>=3.7" \
#    && /opt/venv/bin/python -m spacy download it_core_news_lg
#   USER 10001:10001
#   ENV NEWSFLOW_NER_MODELS=it:it_core_news_lg
#
# (NEWSFLOW_NER_MODELS names the pipelines the entity stage loads; see
# docs/deployment.md.) Large pipelines need more memory: raise the container's
# limit to about 2 GiB per loaded `*_lg` model.
#
# The base image is pinned to a Python patch release. For fully reproducible
# builds also pin its digest (`python:3.11.13-slim-bookworm@sha256:...`), taken
# from `docker buildx imagetools inspect` on the tag you have reviewed.

############################
# builder: compile a venv  #
############################
FROM python:3.11.13-slim-bookworm AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

# A compiler only for dependencies that ship no wheel for the target platform
# (e.g. on arm64); it stays in this stage. Debian's security updates replace
# pinned versions, so the distro is pinned through the base image tag instead.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential \
 && rm -rf /var/lib/apt/lists/*

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
COPY src ./src
# The project itself is the package being installed; its dependencies are
# bounded in pyproject.toml.
# hadolint ignore=DL3013
RUN pip install --prefer-binary ".[rocksdb]" \
 && newsflow --help >/dev/null

############################
# runtime                  #
############################
FROM python:3.11.13-slim-bookworm AS runtime

LABEL org.opencontainers.image.title="newsflow" \
      org.opencontainers.image.description="Event-driven streaming news processor (Faust on Kafka)" \
      org.opencontainers.image.licenses="Apache-2.0"

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    NEWSFLOW_DATA_DIR=/var/lib/newsflow \
    NEWSFLOW_WEB_HOST=0.0.0.0 \
    NEWSFLOW_WEB_PORT=6066

# A fixed numeric uid/gid so that Kubernetes' runAsNonRoot can verify it and
# volume ownership (fsGroup) is predictable.
RUN groupadd --system --gid 10001 newsflow \
 && useradd --system --uid 10001 --gid newsflow --home-dir /var/lib/newsflow \
        --no-create-home --shell /usr/sbin/nologin newsflow \
 && mkdir -p /var/lib/newsflow \
 && chown newsflow:newsflow /var/lib/newsflow

COPY --from=builder /opt/venv /opt/venv

USER 10001:10001
WORKDIR /var/lib/newsflow

# Table state (RocksDB with NEWSFLOW_STORE=rocksdb://) lives here; each
# container gets its own volume unless one is mounted.
VOLUME ["/var/lib/newsflow"]

# Faust's web server: Prometheus metrics at /metrics.
EXPOSE 6066

# Liveness is "/healthz answers 200" (503 when the worker is stalled); urlopen raises on
# any other status or on a refused connection, so python exits non-zero.
HEALTHCHECK --interval=15s --timeout=5s --start-period=120s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('NEWSFLOW_WEB_PORT', '6066') + '/healthz', timeout=4)"]

ENTRYPOINT ["newsflow"]
CMD ["worker"]
