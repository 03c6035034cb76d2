#!/bin/bash
# scripts/gdb-testsuite.sh: gdb 13.1's own test suite as a measuring instrument for
# `utrace gdbserver`, run against GNU gdbserver and against utrace, file by file.
#
# What it does
#   1. Fetches gdb's Debian source package (bookworm: 13.1-3, the same gdb as /usr/bin/gdb)
#      with a temporary deb-src entry and `apt-get source`, into a work directory outside the
#      repository (default /var/tmp/utrace-gdb-suite, or GDB_SUITE_DIR / --work). The entry is
#      removed afterwards, whatever happens. Nothing of gdb's sources goes into the project.
#   2. Configures gdb/testsuite on its own (no gdb build: the system gdb is the client), once
#      per side, in WORK/build/{gdbserver,utrace}/gdb/testsuite: each side keeps its own
#      gdb_caching_proc cache, since those probes ask the server (a probe answered by GNU
#      gdbserver must not decide what utrace is asked).
#   3. Runs each selected .exp with dejagnu's runtest, --target_board=native-gdbserver,
#      GDB=/usr/bin/gdb and GDBSERVER= /usr/bin/gdbserver or a wrapper that runs this
#      checkout's `bin/utrace.js gdbserver` with gdbserver's command line. Files run in
#      GDB_PARALLEL mode (as `make check -jN` does), N workers, the two sides interleaved file
#      by file so both see the same machine load. Each file's gdb.sum/gdb.log are kept in
#      WORK/runs/SIDE/<dir>/<name>.{sum,log} (or --runs DIR), with a .status line (exit code, seconds,
#      whether it hit the time limit); its build products stay in the side's outputs/.
#   4. scripts/gdb-testsuite-report.mjs prints the per-file table (PASS/FAIL/other each way,
#      PASS delta), the totals and the files where utrace has fewer PASS, with the first tests
#      that pass with gdbserver and not with utrace; it writes WORK/results/ (TSV, JSON).
#
# Ports: the board starts every gdbserver on localhost:2346 and up, moving on to the next port
# only when the server prints GNU gdbserver's "Can't bind address: Address already in use.".
# Each runtest therefore runs in a network namespace of its own (unshare -n, a loopback only),
# so parallel jobs and other programs on the machine never take its ports.
#
# Usage: scripts/gdb-testsuite.sh [options] [TEST...]
#   TEST               .exp files or directories under gdb/testsuite (gdb.base, gdb.base/break,
#                      gdb.threads/*.exp, ...); default: gdb.base gdb.threads
#   -j N               parallel runtest jobs (default 2; the machine is shared)
#   --side S           gdbserver, utrace or both (default both)
#   --rerun-baseline   run gdbserver even for files it has a recorded result for
#                      (default: the gdbserver baseline is reused when recorded)
#   --resume           skip utrace files with a recorded result too (continue a broken run)
#   --timeout SECONDS  per-file limit for one runtest, both sides (default 1200)
#   --gdb-timeout S    dejagnu's per-expect timeout (gdb_test_timeout; default: the suite's 10)
#   --nice N           niceness of the runs (default 15)
#   --work DIR         work directory (default $GDB_SUITE_DIR or /var/tmp/utrace-gdb-suite)
#   --runs DIR         keep this run's records in DIR (DIR/{gdbserver,utrace}/..., the queue, the
#                      wrapper and DIR/results) instead of WORK/runs and WORK/results, so a run
#                      of one checkout leaves another's records alone (a relative DIR is under
#                      WORK); seed DIR/gdbserver from an older run to reuse its baseline
#   --setup-only       fetch and configure, run nothing
#   --report-only      compare the recorded runs of the selected files, run nothing
#   --diff-only        print only the table rows whose counts differ
#   -h, --help
# Environment: UTRACE_SERVER_ARGS=ARGS puts ARGS before gdbserver's own in utrace's command
# line (e.g. --remote-debug, to see every packet in the file's gdb.log).
set -euo pipefail

UTRACE_SERVER_ARGS=${UTRACE_SERVER_ARGS:-}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=${GDB_SUITE_DIR:-/var/tmp/utrace-gdb-suite}
SRC_VERSION=${GDB_SUITE_VERSION:-13.1-3}
GDB_BIN=${GDB:-/usr/bin/gdb}
GNU_GDBSERVER=${GNU_GDBSERVER:-/usr/bin/gdbserver}
JOBS=2
SIDE=both
BASELINE=reuse
RESUME=
TIMEOUT=1200
GDB_TIMEOUT=
NICE_N=15
MODE=all
RUNS_ARG=
TESTS_ARG=()
DIFF_ONLY=

usage() { sed -n '/^# Usage:/,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
die() { echo "gdb-testsuite: $*" >&2; exit 1; }
log() { echo "== $*" >&2; }

while [ $# -gt 0 ]; do
  case "$1" in
    -j) JOBS=${2:?-j needs a number}; shift 2 ;;
    -j*) JOBS=${1#-j}; shift ;;
    --side) SIDE=${2:?--side needs gdbserver, utrace or both}; shift 2 ;;
    --rerun-baseline) BASELINE=rerun; shift ;;
    --resume) RESUME=1; shift ;;
    --timeout) TIMEOUT=${2:?--timeout needs seconds}; shift 2 ;;
    --gdb-timeout) GDB_TIMEOUT=${2:?--gdb-timeout needs seconds}; shift 2 ;;
    --nice) NICE_N=${2:?--nice needs a number}; shift 2 ;;
    --work) WORK=${2:?--work needs a directory}; shift 2 ;;
    --runs) RUNS_ARG=${2:?--runs needs a directory}; shift 2 ;;
    --setup-only) MODE=setup; shift ;;
    --report-only) MODE=report; shift ;;
    --diff-only) DIFF_ONLY=1; shift ;;
    -h|--help) usage; exit 0 ;;
    -*) usage >&2; die "unknown option '$1'" ;;
    *) TESTS_ARG+=("$1"); shift ;;
  esac
done
[[ $JOBS =~ ^[1-9][0-9]?$ ]] || die "-j wants a number from 1 to 99, got '$JOBS'"
[[ $TIMEOUT =~ ^[1-9][0-9]*$ ]] || die "--timeout wants seconds, got '$TIMEOUT'"
[ -z "$GDB_TIMEOUT" ] || [[ $GDB_TIMEOUT =~ ^[1-9][0-9]*$ ]] || die "--gdb-timeout wants seconds, got '$GDB_TIMEOUT'"
[[ $NICE_N =~ ^-?[0-9]+$ ]] || die "--nice wants a number, got '$NICE_N'"
case "$SIDE" in gdbserver|utrace|both) ;; *) die "--side wants gdbserver, utrace or both, got '$SIDE'" ;; esac
[ ${#TESTS_ARG[@]} -gt 0 ] || TESTS_ARG=(gdb.base gdb.threads)
case "$WORK" in
  "$ROOT"|"$ROOT"/*) die "the work directory must be outside the repository ($WORK)" ;;
esac
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
if [ -z "$RUNS_ARG" ]; then RUNS=$WORK/runs; RESULTS=$WORK/results
else
  case "$RUNS_ARG" in /*) RUNS=$RUNS_ARG ;; *) RUNS=$WORK/$RUNS_ARG ;; esac
  RESULTS=$RUNS/results
fi

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
APT_ENTRY=/etc/apt/sources.list.d/utrace-gdb-suite-src.sources
remove_apt_entry() {
  if [ -f "$APT_ENTRY" ]; then
    rm -f "$APT_ENTRY"
    # Forget the Sources index the entry brought in, so apt is as it was.
    apt-get update -q >/dev/null 2>&1 || echo "gdb-testsuite: apt-get update after removing $APT_ENTRY failed" >&2
  fi
}

find_source() { SRC=$(find "$WORK" -maxdepth 1 -type d -name 'gdb-[0-9]*' | sort | tail -n 1); }

fetch_source() {
  find_source
  if [ -n "$SRC" ] && [ -x "$SRC/gdb/testsuite/configure" ]; then return 0; fi
  need_packages dpkg-dev xz-utils
  [ "$(id -u)" = 0 ] || die "fetching needs root (a temporary apt source entry); or unpack gdb $SRC_VERSION's source into $WORK yourself"
  [ -e "$APT_ENTRY" ] && die "$APT_ENTRY exists already (another run?); remove it if stale"
  # The deb-src entry mirrors the first deb entry of the system's own sources.
  local uri suite keyring
  uri=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  suite=$( . /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
  keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  trap remove_apt_entry EXIT
  printf 'Types: deb-src\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: %s\n' \
    "${uri:-http://deb.debian.org/debian}" "$suite" "$keyring" > "$APT_ENTRY"
  log "fetching gdb $SRC_VERSION (temporary $APT_ENTRY)"
  apt-get update -q >&2
  (cd "$WORK" && apt-get source -q --only-source "gdb=$SRC_VERSION" >&2)
  remove_apt_entry
  trap - EXIT
  find_source
  [ -n "$SRC" ] && [ -x "$SRC/gdb/testsuite/configure" ] || die "apt-get source left no gdb-*/gdb/testsuite/configure in $WORK"
}

# --- configure ------------------------------------------------------------------------------
objdir() { echo "$WORK/build/$1/gdb/testsuite"; }

configure_side() {
  local obj; obj=$(objdir "$1")
  if ! [ -f "$obj/site.exp" ] || ! [ -f "$obj/Makefile" ]; then
    log "configuring gdb/testsuite in $obj"
    mkdir -p "$obj"
    (cd "$obj" && "$SRC/gdb/testsuite/configure" -q >&2 && make -s site.exp >&2)
  fi
}

# Ports: see the header.
write_netns_helper() {
  NETNS=()
  if unshare -n sh -c 'ip link set lo up' 2>/dev/null; then
    NETNS=("$WORK/in-netns")
    cat > "${NETNS[0]}" <<'EOF'
#!/bin/sh
# Written by scripts/gdb-testsuite.sh: runs "$@" in a network namespace of its own.
exec unshare -n sh -c 'ip link set lo up && exec "$@"' sh "$@"
EOF
    chmod +x "${NETNS[0]}"
  else
    log "warning: no private network namespace (unshare -n); parallel jobs may race for ports"
  fi
}

write_wrapper() {
  WRAPPER="$RUNS/utrace-gdbserver"
  cat > "$WRAPPER" <<EOF
#!/bin/sh
# Written by $ROOT/scripts/gdb-testsuite.sh: gdb's test suite runs this as \$GDBSERVER,
# with gdbserver's command line ([--once] [--multi] COMM PROG ARGS...).
exec "$ROOT/bin/utrace.js" gdbserver $UTRACE_SERVER_ARGS "\$@"
EOF
  chmod +x "$WRAPPER"
}

# --- test selection -------------------------------------------------------------------------
# Each TEST word: a directory (every .exp under it), a file with or without .exp, or a pattern.
select_tests() {
  local word found f
  for word in "${TESTS_ARG[@]}"; do
    word=${word%/}
    found=
    while IFS= read -r f; do
      [ -n "$f" ] && { echo "$f"; found=1; }
    done < <(cd "$SRC/gdb/testsuite" && {
      if [ -d "$word" ]; then find "$word" -name '*.exp' | sort
      else
        # shellcheck disable=SC2086
        for f in $word $word.exp; do [ -f "$f" ] && [[ $f == *.exp ]] && echo "$f"; done
      fi
    })
    [ -n "$found" ] || die "no .exp matches '$word' under $SRC/gdb/testsuite"
  done | awk '!seen[$0]++'
}

# --- run ------------------------------------------------------------------------------------
# run_one SIDE FILE: one runtest for one .exp; its results go to RUNS/SIDE/.
run_one() {
  local side=$1 exp=$2
  local obj out dest t0 rc timed_out=0 server
  obj=$(objdir "$side")
  out="outputs/${exp%.exp}"
  dest="$RUNS/$side/${exp%.exp}"
  if [ "$side" = utrace ]; then server=$WRAPPER; else server=$GNU_GDBSERVER; fi
  mkdir -p "$obj/$out" "$(dirname "$dest")"
  rm -f "$obj/$out/gdb.sum" "$obj/$out/gdb.log"
  local cmd=(runtest --status GDB_PARALLEL=yes --outdir="$out" --target_board=native-gdbserver
    "GDB=$GDB_BIN" "GDBSERVER=$server")
  [ -n "$GDB_TIMEOUT" ] && cmd+=("gdb_test_timeout=$GDB_TIMEOUT")
  cmd+=("$exp")
  t0=$SECONDS
  set +e
  # The environment is what the suite's Makefile (DO_RUNTEST) gives runtest.
  (
    cd "$obj"
    export rootme=$obj srcdir=$SRC/gdb/testsuite EXPECT=expect EXEEXT=
    exec timeout -k 30 "$TIMEOUT" nice -n "$NICE_N" "${NETNS[@]}" "${cmd[@]}"
  ) > "$dest.runtest.out" 2>&1
  rc=$?
  set -e
  [ $rc = 124 ] || [ $rc = 137 ] && timed_out=1
  if [ -f "$obj/$out/gdb.sum" ]; then cp "$obj/$out/gdb.sum" "$dest.sum"; else : > "$dest.sum"; fi
  if [ -f "$obj/$out/gdb.log" ]; then cp "$obj/$out/gdb.log" "$dest.log"; else : > "$dest.log"; fi
  printf 'rc=%s seconds=%s timed_out=%s date=%s commit=%s\n' "$rc" "$((SECONDS - t0))" \
    "$timed_out" "$(date -u +%FT%TZ)" "$COMMIT" > "$dest.status"
  printf '%-9s %-55s %4ss %s\n' "$side" "$exp" "$((SECONDS - t0))" \
    "$(grep -c '^PASS: ' "$dest.sum" || true) PASS$([ $timed_out = 1 ] && echo ', TIMED OUT')" >&2
}

# A queue of "SIDE FILE" lines; N workers take the next line under a lock.
run_queue() {
  local queue=$1 n=$2 w
  : > "$queue.lock"
  for ((w = 0; w < n; w++)); do
    (
      while true; do
        line=$({
          flock 9
          l=$(head -n 1 "$queue")
          [ -z "$l" ] || sed -i 1d "$queue"
          echo "$l"
        } 9> "$queue.lock")
        [ -n "$line" ] || break
        run_one "${line% *}" "${line#* }"
      done
    ) &
  done
  wait
}

fetch_source
need_packages dejagnu expect build-essential iproute2
SIDES=()
case "$SIDE" in both) SIDES=(gdbserver utrace) ;; *) SIDES=("$SIDE") ;; esac
[ "$MODE" = report ] || for s in "${SIDES[@]}"; do configure_side "$s"; done
[ "$MODE" = setup ] && exit 0

mapfile -t SELECTED < <(select_tests)
[ ${#SELECTED[@]} -gt 0 ] || die "no tests selected"
mkdir -p "$RUNS"
printf '%s\n' "${SELECTED[@]}" > "$RUNS/selected-tests.txt"
COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)

if [ "$MODE" = all ]; then
  [ -x "$GDB_BIN" ] || die "no gdb at $GDB_BIN (GDB=...)"
  [ -x "$GNU_GDBSERVER" ] || [ "$SIDE" = utrace ] || die "no GNU gdbserver at $GNU_GDBSERVER (GNU_GDBSERVER=...)"
  write_wrapper
  write_netns_helper
  [ -f "$ROOT/dist/src/cli/launch.cjs" ] || die "this checkout is not built (npm ci / npm run build)"
  # The caching procs' answers are per run: a fixed server must be asked again.
  for s in "${SIDES[@]}"; do rm -rf "$(objdir "$s")/cache" "$(objdir "$s")/temp"; done
  QUEUE="$RUNS/queue"
  : > "$QUEUE"
  for t in "${SELECTED[@]}"; do
    for s in "${SIDES[@]}"; do
      if [ -f "$RUNS/$s/${t%.exp}.status" ]; then
        [ "$s" = gdbserver ] && [ "$BASELINE" = reuse ] && continue
        [ "$s" = utrace ] && [ -n "$RESUME" ] && continue
      fi
      echo "$s $t" >> "$QUEUE"
    done
  done
  count=$(wc -l < "$QUEUE")
  log "$count runs (${#SELECTED[@]} files, sides: ${SIDES[*]}), -j$JOBS, nice $NICE_N, timeout ${TIMEOUT}s per file"
  t0=$SECONDS
  run_queue "$QUEUE" "$JOBS"
  printf '%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$COMMIT" "$count" "$JOBS" "$((SECONDS - t0))" \
    >> "$RUNS/wall-times.tsv"
  log "$count runs in $((SECONDS - t0)) s"
fi

node "$ROOT/scripts/gdb-testsuite-report.mjs" --runs "$RUNS" --results "$RESULTS" --tests "$RUNS/selected-tests.txt" \
  --commit "${COMMIT:-unknown}" ${DIFF_ONLY:+--diff-only}
