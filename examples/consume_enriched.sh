#!/usr/bin/env bash
# Consume the enriched topic with kcat (Debian/Ubuntu: apt-get install kcat), committed records only.
#   KAFKA_BOOTSTRAP=127.0.0.1:9092 examples/consume_enriched.sh | jq '{id, language: .language.code, title}'
set -euo pipefail
exec kcat -C -b "${KAFKA_BOOTSTRAP:-127.0.0.1:9092}" -t "${NEWSFLOW_TOPIC_ENRICHED:-news.enriched}" \
  -X isolation.level=read_committed -o beginning -e -q -f '%s\n'
