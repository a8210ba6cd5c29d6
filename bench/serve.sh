#!/bin/sh
# Start kesu for bench_server.py on port 8100 in the background; prints the PID of `kesu serve`.
#   bench/serve.sh sqlite /tmp/kesu-bench-sqlite        (SQLite in that data directory)
#   bench/serve.sh pg kesu_bench_100k                    (PostgreSQL database, Redis db 14)
# Options via the environment: WORKERS (2), THREADS (4), CONCURRENCY (1), PORT (8100), LOG.
set -eu
cd "$(dirname "$0")/.."
kind=$1 target=$2
if [ "$kind" = pg ]; then
    export KESU_DATA_DIR=${KESU_DATA_DIR:-/tmp/kesu-bench-pg}
    export KESU_DATABASE_URL=postgres://kesu:kesu@127.0.0.1:5432/$target
    export KESU_REDIS_URL=${KESU_REDIS_URL:-redis://127.0.0.1:6379/14}
else
    export KESU_DATA_DIR=$target
    unset KESU_DATABASE_URL KESU_REDIS_URL 2>/dev/null || true
fi
mkdir -p bench/out
nohup .venv/bin/kesu serve --host 127.0.0.1 --port "${PORT:-8100}" --workers "${WORKERS:-2}" \
    --threads "${THREADS:-4}" --concurrency "${CONCURRENCY:-1}" >"${LOG:-bench/out/serve.log}" 2>&1 &
echo $!
