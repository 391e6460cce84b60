#!/bin/sh
# The container's start (Dockerfile CMD): migrate, let in the range callers come from, make
# sure the first credential exists, then serve. Each step is idempotent, so a restart is safe.
set -eu
geninvoices migrate
if [ -n "${GENINVOICES_ALLOW_RANGE:-}" ]; then
  for range in $(echo "$GENINVOICES_ALLOW_RANGE" | tr ',' ' '); do
    geninvoices allowed-ips add "$range"
  done
fi
geninvoices credentials ensure
exec geninvoices serve --host 0.0.0.0 --port "${GENINVOICES_PORT:-8000}" \
  --workers "${GENINVOICES_WORKERS:-2}"
