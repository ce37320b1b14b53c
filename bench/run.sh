#!/usr/bin/env bash
# The load-generator benchmark (bench/README.md): shoplab load against
# vegeta on one trivial local endpoint. `make bench` runs it; it takes
# about 8 minutes on a quiet machine (longer when other work shares it).
# BENCH_ONLY=cpu runs only the CPU-per-request comparison at 5,000/s
# (a few minutes) and prints the headline line
# generator_cpu_per_request_ratio_vs_vegeta: X.XX.
# Extra arguments go to bench/driver (e.g. -step 10s).
#
# vegeta is installed for the benchmark only, into a temporary GOBIN: it is
# never a dependency of the module (go.mod is checked below).
set -euo pipefail

VEGETA_VERSION=${VEGETA_VERSION:-v12.13.0}
ADDR=${BENCH_ADDR:-127.0.0.1:8199}
TARGET_PROCS=${BENCH_TARGET_PROCS:-1}
OUT=${BENCH_OUT:-bench/out}
GO=${GO:-go}
ONLY=${BENCH_ONLY:-}
only_args=()
case "$ONLY" in
"") ;;
cpu) only_args=(-only cpu -reps "${BENCH_REPS:-5}" -quiet-wait "${BENCH_QUIET_WAIT:-10s}" -attempts "${BENCH_ATTEMPTS:-2}") ;;
*)
	echo "bench: BENCH_ONLY=$ONLY: want cpu (or unset for the whole benchmark)" >&2
	exit 1
	;;
esac

cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if (exec 3<>"/dev/tcp/${ADDR%:*}/${ADDR#*:}") 2>/dev/null; then
	echo "bench: something already listens on $ADDR (set BENCH_ADDR)" >&2
	exit 1
fi

# shoplab is built from a commit (default HEAD), not from the work tree,
# so that the numbers belong to a named version of internal/load.
# BENCH_SHOPLAB_REF=worktree builds the work tree as it is.
ref=${BENCH_SHOPLAB_REF:-HEAD}
if [ -n "${BENCH_SHOPLAB_BIN:-}" ]; then
	# A binary built elsewhere (e.g. from a copy of the tree in which other
	# packages are mid-edit); the report names it as BENCH_SHOPLAB_VERSION says.
	echo "bench: using the shoplab binary $BENCH_SHOPLAB_BIN" >&2
	cp "$BENCH_SHOPLAB_BIN" "$work/shoplab"
	shoplab_version=${BENCH_SHOPLAB_VERSION:-"prebuilt binary $BENCH_SHOPLAB_BIN"}
elif [ "$ref" = worktree ]; then
	echo "bench: building shoplab from the work tree into $work" >&2
	$GO build -o "$work/shoplab" ./cmd/shoplab
	shoplab_version="work tree at $(git rev-parse --short=12 HEAD)"
	if [ -n "$(git status --porcelain -- internal/load internal/cli cmd/shoplab)" ]; then
		shoplab_version+=", with uncommitted changes in internal/load, internal/cli or cmd/shoplab"
	fi
else
	commit=$(git rev-parse --short=12 "$ref")
	echo "bench: building shoplab at $commit into $work" >&2
	mkdir "$work/src"
	git archive "$commit" | tar -x -C "$work/src"
	(cd "$work/src" && $GO build -o "$work/shoplab" ./cmd/shoplab)
	shoplab_version="$commit (built from git archive, work tree changes left out)"
fi
echo "bench: building the target and the driver into $work" >&2
$GO build -o "$work/target" ./bench/target
$GO build -o "$work/driver" ./bench/driver

echo "bench: installing vegeta $VEGETA_VERSION into a temporary GOBIN" >&2
(cd "$work" && GOBIN="$work/gobin" $GO install "github.com/tsenart/vegeta/v12@$VEGETA_VERSION")

"$work/driver" \
	-shoplab "$work/shoplab" \
	-vegeta "$work/gobin/vegeta" -vegeta-version "github.com/tsenart/vegeta/v12 $VEGETA_VERSION (go install, $($GO version | cut -d' ' -f3))" \
	-shoplab-version "$shoplab_version" \
	-target "$work/target" -target-procs "$TARGET_PROCS" \
	-scenario bench/scenarios/trivial.yaml \
	-addr "$ADDR" -out "$OUT" "${only_args[@]}" "$@"

if grep -q 'tsenart/vegeta' go.mod go.sum; then
	echo "bench: vegeta appears in go.mod or go.sum: it must not become a dependency" >&2
	exit 1
fi
