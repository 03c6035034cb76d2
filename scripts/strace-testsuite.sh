#!/bin/bash
# scripts/strace-testsuite.sh: strace 6.1's own test suite as a measuring instrument for
# `utrace strace`.
#
# What it does
#   1. Fetches strace's Debian source package (bookworm: 6.1-0.1) with a temporary deb-src
#      entry and `apt-get source`, into a work directory outside the repository (default
#      /var/tmp/utrace-strace-suite, or STRACE_SUITE_DIR / --work). The entry is removed
#      afterwards, whatever happens. Nothing of strace's sources goes into the project.
#   2. Builds strace and the suite's test programs once (configure with the options below,
#      `make`, `make -C tests check TESTS=`); later runs reuse the build.
#   3. Runs the suite (automake's harness, `make -C tests check TESTS=... -jN`) twice: with the
#      strace just built (the baseline) and with STRACE= a wrapper that runs this checkout's
#      `bin/utrace.js strace "$@"`. The suite's run.sh runs `$STRACE -V` before every test only
#      to see that $STRACE works, so the wrapper answers a lone `-V` itself (saving a Node
#      start-up per test); every other command line, strace-V.test's included, goes to utrace,
#      with UTRACE_STRACE_ARGV0 set to the wrapper's path (messages start with it, as strace's
#      start with its argv[0]). Each test's
#      log and .trs are kept in WORK/runs/{strace,utrace}/.
#   4. scripts/strace-testsuite-report.mjs compares the two runs and classifies each
#      regression (passes with strace, not with utrace) by the FIRST difference in its log;
#      its header states the rules. It prints totals, the regressions and a per-category table
#      and writes WORK/results/ (TSV, JSON, the test names per category, a history line).
#
# Tests that do not pass with strace itself on this machine (about 32 fail on this kernel,
# others skip) do not count: the target is the share of strace's passes that utrace passes.
#
# Usage: scripts/strace-testsuite.sh [options]
#   -j N               parallel tests (default 2; the machine is shared)
#   -t, --tests LIST   test subset: names separated by spaces or commas, with or without
#                      .test/.gen.test, shell patterns allowed ('ioctl_*,read-write')
#   --skip-baseline    never run the strace baseline; use what is recorded
#   --rerun-baseline   run the baseline even for tests already recorded
#                      (default: run it only for selected tests without a recorded result)
#   --baseline-only    run the strace baseline (as above), not utrace: on a new machine, the
#                      list of strace's passes, then --skip-baseline -t on those alone
#   --timeout SECONDS  utrace's per-test time limit (default 300), raised to 5x the test's
#                      time with strace when that is longer (at most 1500, the suite's own
#                      limit, which strace's runs get: its qual_fault takes ~18 min here when
#                      the machine is busy, while a hanging utrace test should not cost that)
#   --work DIR         work directory (default $STRACE_SUITE_DIR or /var/tmp/utrace-strace-suite)
#   --build-only       fetch and build, run nothing
#   --report-only      classify the recorded runs, run nothing
#   -h, --help
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=${STRACE_SUITE_DIR:-/var/tmp/utrace-strace-suite}
SRC_VERSION=${STRACE_SUITE_VERSION:-6.1-0.1}
JOBS=2
TESTS_ARG=
BASELINE=auto
TIMEOUT=300
FACTOR=5
MODE=all

usage() { sed -n '/^# Usage:/,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
die() { echo "strace-testsuite: $*" >&2; exit 1; }
log() { echo "== $*" >&2; }

while [ $# -gt 0 ]; do
  case "$1" in
    -j) JOBS=${2:?-j needs a number}; shift 2 ;;
    -j*) JOBS=${1#-j}; shift ;;
    -t|--tests) TESTS_ARG=${2?--tests needs a list}; shift 2 ;;
    --tests=*) TESTS_ARG=${1#--tests=}; shift ;;
    --skip-baseline) BASELINE=skip; shift ;;
    --rerun-baseline) BASELINE=rerun; shift ;;
    --baseline-only) BASELINE_ONLY=1; shift ;;
    --timeout) TIMEOUT=${2:?--timeout needs seconds}; shift 2 ;;
    --work) WORK=${2:?--work needs a directory}; shift 2 ;;
    --build-only) MODE=build; shift ;;
    --report-only) MODE=report; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument '$1'" ;;
  esac
done
[[ $JOBS =~ ^[1-9][0-9]*$ ]] || die "-j wants a positive number, got '$JOBS'"
[[ $TIMEOUT =~ ^[1-9][0-9]*$ ]] || die "--timeout wants seconds, got '$TIMEOUT'"
case "$WORK" in
  "$ROOT"|"$ROOT"/*) die "the work directory must be outside the repository ($WORK)" ;;
esac
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
NICE="nice -n 10"

# --- dependencies ---------------------------------------------------------------------------
need_packages() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" = 0 ] || die "missing packages: ${missing[*]} (install them, or run as root)"
  log "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
}

# --- fetch ----------------------------------------------------------------------------------
APT_ENTRY=/etc/apt/sources.list.d/utrace-strace-suite-src.sources
remove_apt_entry() {
  if [ -f "$APT_ENTRY" ]; then
    rm -f "$APT_ENTRY"
    # Forget the Sources index the entry brought in, so apt is as it was.
    apt-get update -q >/dev/null 2>&1 || echo "strace-testsuite: apt-get update after removing $APT_ENTRY failed" >&2
  fi
}

fetch_source() {
  SRC=$(find "$WORK" -maxdepth 1 -type d -name 'strace-[0-9]*' | sort | tail -n 1)
  if [ -n "$SRC" ] && [ -f "$SRC/configure" ]; then return 0; fi
  need_packages dpkg-dev xz-utils
  [ "$(id -u)" = 0 ] || die "fetching needs root (a temporary apt source entry); or unpack strace $SRC_VERSION's source into $WORK yourself"
  [ -e "$APT_ENTRY" ] && die "$APT_ENTRY exists already (another run?); remove it if stale"
  # The deb-src entry mirrors the first deb entry of the system's own sources.
  local uri suite keyring
  uri=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  suite=$( . /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
  keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  trap remove_apt_entry EXIT
  printf 'Types: deb-src\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: %s\n' \
    "${uri:-http://deb.debian.org/debian}" "$suite" "$keyring" > "$APT_ENTRY"
  log "fetching strace $SRC_VERSION (temporary $APT_ENTRY)"
  apt-get update -q >&2
  (cd "$WORK" && apt-get source -q --only-source "strace=$SRC_VERSION" >&2)
  remove_apt_entry
  trap - EXIT
  SRC=$(find "$WORK" -maxdepth 1 -type d -name 'strace-[0-9]*' | sort | tail -n 1)
  [ -n "$SRC" ] && [ -f "$SRC/configure" ] || die "apt-get source left no strace-*/configure in $WORK"
}

# --- build ----------------------------------------------------------------------------------
build() {
  need_packages gawk build-essential
  if [ -f "$WORK/.built" ] && [ -x "$SRC/src/strace" ]; then return 0; fi
  log "building strace and its test programs in $SRC (nice, -j$JOBS)"
  local t0=$SECONDS
  (
    cd "$SRC"
    [ -f Makefile ] || $NICE ./configure -q --enable-mpers=no --without-libdw --without-libunwind \
      --without-libselinux --disable-gcc-Werror >&2
    $NICE make -s -j"$JOBS" >&2
    $NICE make -s -C tests -j"$JOBS" check TESTS= >&2
  )
  touch "$WORK/.built"
  log "build took $((SECONDS - t0)) s"
}

# The suite's whole test list, from its Makefile.
all_tests() {
  make -s -C "$SRC/tests" -f Makefile -f <(printf 'print-utrace-tests:\n\t@echo $(TESTS)\n') \
    print-utrace-tests | tr ' ' '\n' | sed '/^$/d'
}

# Resolves --tests against the list: a name, name.test, name.gen.test or a pattern.
select_tests() {
  local all; all=$(all_tests)
  if [ -z "$TESTS_ARG" ]; then echo "$all"; return; fi
  local word found t
  for word in ${TESTS_ARG//,/ }; do
    found=
    while IFS= read -r t; do
      # shellcheck disable=SC2254
      case "$t" in $word|$word.test|$word.gen.test) echo "$t"; found=1 ;; esac
    done <<< "$all"
    [ -n "$found" ] || die "no test matches '$word'"
  done | awk '!seen[$0]++'
}

# --- run ------------------------------------------------------------------------------------
write_wrapper() {
  WRAPPER="$WORK/utrace-strace"
  cat > "$WRAPPER" <<EOF
#!/bin/sh
# Written by $ROOT/scripts/strace-testsuite.sh: strace's suite runs this as \$STRACE.
# run.sh calls a lone \`\$STRACE -V\` before each test only to see that \$STRACE works;
# that one command line is answered here (no Node start-up before each test).
# UTRACE_STRACE_ARGV0: utrace strace's messages start with our name, as strace's with its argv[0].
if [ "\$#" = 1 ] && [ "\$1" = -V ]; then echo 'utrace strace (strace test-suite wrapper)'; exit 0; fi
UTRACE_STRACE_ARGV0=\$0 exec "$ROOT/bin/utrace.js" strace "\$@"
EOF
  chmod +x "$WRAPPER"
}

# The harness runs `$(TEST_LOG_COMPILER) STRACE_ARCH=... ./run.sh ./NAME.test` (the suite sets
# TEST_LOG_COMPILER to env). This stand-in for env sets the test's time limit and records how
# long the test took in runs/LABEL/NAME.time (seconds, limit).
write_timer() {
  TIMER="$WORK/run-test"
  cat > "$TIMER" <<'EOF'
#!/bin/sh
# Written by scripts/strace-testsuite.sh (utrace): strace's harness runs each test through this.
for last; do :; done
base=${last##*/}; base=${base%.test}
limit=$SUITE_TIMEOUT
if [ -n "${SUITE_BASELINE_DIR:-}" ] && [ -f "$SUITE_BASELINE_DIR/$base.time" ]; then
  # A test slow with strace may take longer with utrace: SUITE_FACTOR x strace's time, at most 1500.
  limit=$(awk -v t="$(cut -f1 "$SUITE_BASELINE_DIR/$base.time")" -v floor="$limit" -v f="$SUITE_FACTOR" \
    'BEGIN { l = int(t * f + 0.999); if (l > 1500) l = 1500; if (l < floor) l = floor; print l }')
fi
start=$(date +%s.%N)
TIMEOUT_DURATION=$limit env "$@"
rc=$?
end=$(date +%s.%N)
awk -v s="$start" -v e="$end" -v l="$limit" 'BEGIN { printf "%.1f\t%d\n", e - s, l }' > "$SUITE_TIMES_DIR/$base.time"
exit $rc
EOF
  chmod +x "$TIMER"
}

# Processes of the run's session still alive once the harness is done (a traced program a test
# expected the tracer to finish or release): listed in runs/LABEL.leftovers, then killed by pid.
reap_session() {
  local label=$1 sid pids
  sid=$(cat "$WORK/runs/$label.sid" 2>/dev/null) || return 0
  pids=$(ps -eo pid=,sid= | awk -v s="$sid" '$2 == s { print $1 }')
  : > "$WORK/runs/$label.leftovers"
  [ -n "$pids" ] || return 0
  # shellcheck disable=SC2086
  ps -o pid=,stat=,etime=,args= -p $(echo $pids | tr ' ' ',') > "$WORK/runs/$label.leftovers" || true
  log "$label: $(wc -l < "$WORK/runs/$label.leftovers") processes left running by the tests, killed (runs/$label.leftovers)"
  # shellcheck disable=SC2086
  kill -KILL $pids 2>/dev/null || true
}

# run_suite LABEL TESTS... : runs the tests with the harness, keeps their logs in runs/LABEL.
run_suite() {
  local label=$1; shift
  local dest="$WORK/runs/$label" t0=$SECONDS t
  mkdir -p "$dest"
  (
    cd "$SRC/tests"
    for t in "$@"; do rm -f "${t%.test}.log" "${t%.test}.trs" "$dest/${t%.test}.time"; done
    export SUITE_TIMES_DIR="$dest" SUITE_FACTOR="$FACTOR"
    if [ "$label" = utrace ]; then
      export STRACE="$WRAPPER" SUITE_TIMEOUT="$TIMEOUT" SUITE_BASELINE_DIR="$WORK/runs/strace"
      log "$label: ${#} tests, -j$JOBS, time limit ${TIMEOUT}s or ${FACTOR}x strace's time"
    else
      unset STRACE SUITE_BASELINE_DIR
      export SUITE_TIMEOUT=1500
      log "$label: ${#} tests, -j$JOBS, time limit ${SUITE_TIMEOUT}s (the suite's own)"
    fi
    # The harness exits non-zero when a test fails; that is the point of running it. It runs
    # in a session of its own so that what its tests leave running can be found afterwards.
    rm -f "$WORK/runs/$label.sid"
    setsid -w sh -c 'echo $$ > "$1"; shift; exec "$@"' sh "$WORK/runs/$label.sid" \
      $NICE make -s -j"$JOBS" check TESTS="$*" TEST_LOG_COMPILER="$TIMER" \
      TEST_SUITE_LOG="utrace-suite-$label.log" > "$WORK/runs/$label.make.out" 2>&1 || true
  )
  reap_session "$label"
  for t in "$@"; do
    local base="${t%.test}" name="${t%.test}"
    name="${name%.gen}"
    rm -rf "${dest:?}/$base.dir"
    if [ -f "$SRC/tests/$base.trs" ]; then
      cp "$SRC/tests/$base.log" "$SRC/tests/$base.trs" "$dest/"
      # Many tests send strace's stderr to files in their NAME.dir (a usage error ends up
      # there, not in the log): keep that directory's small files for tests that did not pass.
      if ! grep -q '^:test-result: PASS' "$SRC/tests/$base.trs" && [ -d "$SRC/tests/$name.dir" ]; then
        mkdir -p "$dest/$base.dir"
        find "$SRC/tests/$name.dir" -maxdepth 1 -type f -size -64k -exec cp -t "$dest/$base.dir" {} + 2>/dev/null || true
      fi
    else
      # The harness produced no result (it stopped early?): record it as an error.
      printf ':test-result: ERROR\n' > "$dest/$base.trs"
      printf 'strace-testsuite: no result from the harness, see %s\n' "$WORK/runs/$label.make.out" \
        > "$dest/$base.log"
    fi
  done
  local secs=$((SECONDS - t0))
  printf '%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$label" "$#" "$secs" >> "$WORK/runs/wall-times.tsv"
  log "$label: $# tests in ${secs} s"
}

fetch_source
build
[ "$MODE" = build ] && exit 0

write_timer
mapfile -t SELECTED < <(select_tests)
[ ${#SELECTED[@]} -gt 0 ] || die "no tests selected"
printf '%s\n' "${SELECTED[@]}" > "$WORK/selected-tests.txt"

if [ "$MODE" = all ]; then
  case "$BASELINE" in
    skip) ;;
    rerun) run_suite strace "${SELECTED[@]}" ;;
    auto)
      missing=()
      for t in "${SELECTED[@]}"; do
        [ -f "$WORK/runs/strace/${t%.test}.trs" ] || missing+=("$t")
      done
      if [ ${#missing[@]} -gt 0 ]; then run_suite strace "${missing[@]}"
      else log "strace: baseline recorded for all ${#SELECTED[@]} tests (--rerun-baseline to redo)"; fi ;;
  esac
  if [ -n "${BASELINE_ONLY:-}" ]; then
    grep -l '^:test-result: PASS' "$WORK"/runs/strace/*.trs 2>/dev/null | sed 's|.*/||; s|\.trs$||' \
      > "$WORK/pass-strace.txt" || true
    log "strace baseline: $(wc -l < "$WORK/pass-strace.txt") tests pass, listed in $WORK/pass-strace.txt"
    exit 0
  fi
  write_wrapper
  [ -f "$ROOT/dist/src/cli/launch.cjs" ] || die "this checkout is not built (npm ci / npm run build)"
  run_suite utrace "${SELECTED[@]}"
fi

COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -z "$TESTS_ARG" ]; then
  # Every test recorded in the utrace run; a history line after a full run.
  node "$ROOT/scripts/strace-testsuite-report.mjs" --work "$WORK" --commit "$COMMIT" \
    $([ "$MODE" = all ] && echo --history)
else
  # A subset: its own report (stdout and WORK/results-subset/); WORK/results/ is then
  # recomputed over every recorded test, so a subset run never shrinks it to the subset.
  node "$ROOT/scripts/strace-testsuite-report.mjs" --work "$WORK" --tests "$WORK/selected-tests.txt" \
    --commit "$COMMIT" --out "$WORK/results-subset"
  node "$ROOT/scripts/strace-testsuite-report.mjs" --work "$WORK" --commit "$COMMIT" --quiet
fi
