#!/usr/bin/env bash
# The test suite under sanitizers, each in its own build folder:
#   scripts/sanitize.sh address   AddressSanitizer + UndefinedBehaviorSanitizer, every test
#   scripts/sanitize.sh thread    ThreadSanitizer, the worker and studio/UI tests (the threads)
set -euo pipefail
cd "$(dirname "$0")/.."
kind=${1:-address}
scripts/setup.sh --deps-only
case $kind in
  address) flags=address,undefined; tests='.'; targets=all ;;
  thread) flags=thread; tests='generation_worker|studio\.test_recovery|ui\.'
          targets="test_generation_worker test_recovery $(cd tests/ui && ls test_*.cpp | sed 's/\.cpp$//')" ;;
  *) echo "usage: scripts/sanitize.sh address|thread" >&2; exit 2 ;;
esac
dir=build-$kind
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDIT_SANITIZE="$flags" >/dev/null
# shellcheck disable=SC2086
cmake --build "$dir" --target $targets -j"$(nproc)"
export QT_QPA_PLATFORM=offscreen
# Leaks are reported (detect_leaks) and fail the run; UBSan stops at the first finding.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# libgomp is not built with TSan; its barriers look like races on the data they protect, so the
# OpenMP-parallel kernels run on one thread here (the worker's own threads are what is checked).
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$PWD/scripts/tsan.supp"
# glib's event dispatcher wakes threads through an eventfd, which TSan takes for a raced write:
# Qt's own UNIX dispatcher instead (QT_NO_GLIB).
[[ $kind == thread ]] && export OMP_NUM_THREADS=1 QT_NO_GLIB=1
cd "$dir" && ctest --output-on-failure --timeout 1800 -R "$tests"
