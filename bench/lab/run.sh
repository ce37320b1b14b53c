#!/usr/bin/env bash
# make bench-lab (bench/LAB.md): the performance of the lab itself. Builds
# shoplab, the floor and the driver from the work tree into a temporary
# directory and runs the driver, which writes bench/out/lab.jsonl and the
# numbers of bench/LAB.md. STEP, SOAK, WARMUP and RUNS set its durations;
# extra arguments go to the driver (bench/lab/driver -help).
set -euo pipefail
cd "$(dirname "$0")/../.."
GO=${GO:-go}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "bench-lab: building shoplab, the floor and the driver from the work tree into $work" >&2
$GO build -o "$work/shoplab" ./cmd/shoplab
$GO build -o "$work/floor" ./bench/lab/floor
$GO build -o "$work/driver" ./bench/lab/driver

exec "$work/driver" -repo . -shoplab "$work/shoplab" -floor "$work/floor" \
	-step "${STEP:-10s}" -soak "${SOAK:-10m}" -warmup "${WARMUP:-1m}" -runs "${RUNS:-2}" \
	-bcrypt-cost "${AUTH_BCRYPT_COST:-}" -out "${BENCH_OUT:-bench/out}" "$@"
