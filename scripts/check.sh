#!/bin/bash
# Runs every test suite against the normal build and again against the
# ASan+UBSan build, then prints "N passed, N failed" as the last line.
set -u
cd "$(dirname "$0")/.."
out=build/test-results
rm -rf "$out"
mkdir -p "$out"
passed=0
failed=0

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=23
export LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:exitcode=24

# Counts TAP results of one file: "ok N" / "not ok N" at any indentation are
# subtests too in node's output, so node's own summary lines are used for it.
count_criterion() {
  local tap=$1
  local p f
  p=$(grep -cE '^ok ' "$tap" || true)
  f=$(grep -cE '^not ok ' "$tap" || true)
  passed=$((passed + p))
  failed=$((failed + f))
  echo "  $p passed, $f failed"
}

count_node() {
  local tap=$1 status=$2
  local p f
  p=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$tap" | tail -1)
  f=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$tap" | tail -1)
  p=${p:-0}
  f=${f:-0}
  if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then
    f=1 # the runner itself failed (a crash, a syntax error)
  fi
  passed=$((passed + p))
  failed=$((failed + f))
  echo "  $p passed, $f failed"
}

run_unit() {
  local build=$1
  local bin=$build/tests/unit/unit-tests
  echo "== unit tests ($build)"
  if [ ! -x "$bin" ]; then
    echo "  missing $bin"
    failed=$((failed + 1))
    return
  fi
  "$bin" --jobs 2 --tap="$out/unit-$build.tap" --verbose=0 >"$out/unit-$build.log" 2>&1
  local status=$?
  grep -E '^not ok' "$out/unit-$build.tap" | head -20
  if [ $status -ne 0 ] && ! grep -qE '^not ok' "$out/unit-$build.tap"; then
    tail -30 "$out/unit-$build.log"
    failed=$((failed + 1))
  fi
  count_criterion "$out/unit-$build.tap"
}

run_node() {
  local suite=$1 build=$2
  shift 2
  local files=("$@")
  [ ${#files[@]} -gt 0 ] || return
  echo "== $suite tests ($build)"
  TIAOKUAI_BIN="$PWD/$build/tiaokuai" node --test --test-concurrency=2 \
    --test-reporter=tap --test-reporter-destination="$out/$suite-$build.tap" \
    --test-reporter=dot --test-reporter-destination=stdout \
    "${files[@]}" >"$out/$suite-$build.log" 2>&1
  local status=$?
  grep -B2 -A25 -E '^\s*not ok' "$out/$suite-$build.tap" | head -80
  count_node "$out/$suite-$build.tap" $status
}

# The C sources are formatted with the committed .clang-format (make format).
echo "== format"
unformatted=$(for f in $(git ls-files 'src/*.c' 'src/*.h' 'tests/unit/*.c' 'bench/*.c'); do
  clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || echo "$f"
done)
if [ -z "$unformatted" ]; then
  passed=$((passed + 1))
  echo "  1 passed, 0 failed"
else
  echo "  not formatted (run make format): $unformatted"
  failed=$((failed + 1))
fi

shopt -s nullglob
api_tests=(tests/api/*.test.mjs)
e2e_tests=(tests/e2e/*.test.mjs)

# One demo database for every suite that needs one (they copy it).
echo "== demo database"
if build/tiaokuai demo --db "$out/demo-template.db" >"$out/demo.log" 2>&1; then
  export TIAOKUAI_DEMO_TEMPLATE="$PWD/$out/demo-template.db"
  tail -1 "$out/demo.log"
else
  tail -20 "$out/demo.log"
  failed=$((failed + 1))
fi

for build in build build-asan; do
  run_unit $build
  run_node api $build "${api_tests[@]}"
done
run_node e2e build "${e2e_tests[@]}"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
