#!/bin/bash
# bench/bound.sh - an upper bound for event intake on this machine.
#
# Builds, in a temporary worktree of HEAD, the server with bench/intake-bound.patch
# applied: an intake without the full-text index, the routing through the lists, the
# five rollup rows and the audit record, answering 201 with the id and number only.
# That build is for measuring, never for use: it is what no work on those parts of an
# intake could beat. Then bench/compare.sh alternates it (B) with this checkout's build
# (A, make build first) and reports both rates, round by round (docs/benchmarks.md §5,
# "An upper bound").
#
# Environment: as bench/compare.sh (COMPARE_ROUNDS, BENCH_DURATION, ...);
# BOUND_KEEP=1 keeps the worktree and its build.
set -euo pipefail
cd "$(dirname "$0")/.."

[ -x build/tiaokuai ] || {
  echo "bench/bound.sh: build/tiaokuai is missing; run make build first" >&2
  exit 1
}
tree=$(mktemp -d)
cleanup() {
  if [ "${BOUND_KEEP:-0}" != 1 ]; then
    git worktree remove --force "$tree" >/dev/null 2>&1 || rm -rf "$tree"
  fi
}
trap cleanup EXIT

git worktree add --detach -f "$tree" HEAD >/dev/null
git -C "$tree" apply "$PWD/bench/intake-bound.patch"
meson setup "$tree/build" "$tree" --buildtype=debugoptimized >/dev/null
ninja -C "$tree/build" tiaokuai >/dev/null
echo "bound build: $tree/build/tiaokuai (HEAD $(git rev-parse --short HEAD) with bench/intake-bound.patch)"
bench/compare.sh build/tiaokuai "$tree/build/tiaokuai"
