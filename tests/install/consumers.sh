#!/usr/bin/env bash
# The installed package as a user meets it. Installs the built tree into a temporary prefix and
# moves that prefix elsewhere (an install must not depend on where it was made), then builds
# examples/countdown.cpp and deep_awaits.cpp against it two ways: with plain
# `pkg-config --cflags --libs tasknet` (not --static), and with a CMake project that calls
# find_package(tasknet) (consumer/); each at -O0 and at -O2; and runs every program it built.
# Usage: consumers.sh BUILD_DIR SOURCE_DIR CXX CMAKE [CONFIG]   (CTest runs it, label install)
#        consumers.sh --prefix PREFIX SOURCE_DIR CXX CMAKE
#   --prefix: an install made otherwise (packages.sh: the Debian packages unpacked), built
#   against as it is
set -euo pipefail
installed_prefix=
if [[ $1 == --prefix ]]; then
  installed_prefix=$2
  shift 2
  set -- "" "$@"
fi
build_dir=$1 source_dir=$2 cxx=$3 cmake=$4 config=${5:-}

work=$(mktemp -d "${TMPDIR:-/tmp}/tasknet-install.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Every failure is reported and the rest still runs, so that one run shows all that is wrong.
failures=0
failed() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

# quietly COMMAND...: runs COMMAND, showing its output only when it fails.
quietly() {
  "$@" >"$work/last.log" 2>&1 && return
  tail -n 20 "$work/last.log" >&2
  failed "$*"
  return 1
}

# run_program PROGRAM: runs it with a deadline, and checks that it exits 0 having done its work.
run_program() {
  local program=$1 output status=0
  output=$(timeout 30 "$program" 2>&1) || status=$?
  case $(basename "$program") in
    countdown*) [[ $output == *"T-minus 1"* && $output == *"Up we go 14"* ]] ;;
    deep_awaits*) [[ $output == *"sum of a million awaits: 42000000"* ]] ;;
  esac && ((status == 0)) && echo "ran $program" && return
  failed "$program: exit status $status (139: out of stack), output: $(tail -c 200 <<<"$output")"
}

sources=("$source_dir/examples/countdown.cpp" "$source_dir/tests/install/deep_awaits.cpp")

if [[ -n $installed_prefix ]]; then
  prefix=$installed_prefix
else
  echo "== cmake --install into a prefix, then move the prefix"
  quietly "$cmake" --install "$build_dir" --prefix "$work/staged" ${config:+--config "$config"} ||
    exit 1
  mkdir "$work/moved"
  mv "$work/staged" "$work/moved/prefix"
  prefix=$work/moved/prefix
fi
mapfile -t package_files < <(find "$prefix" -name '*.pc' -o -name '*.cmake')
printf '%s\n' "${package_files[@]}"
if grep -l -F "$work/staged" "${package_files[@]}"; then
  failed "the files above name the prefix they were installed to: a moved install breaks"
fi
if grep -n -E '/liburing\.(so|a)' "${package_files[@]}"; then
  failed "the exported CMake package names liburing by its path where tasknet was built"
fi

echo "== pkg-config --cflags --libs tasknet"
command -v pkg-config >/dev/null || failed "no pkg-config (scripts/install-deps installs it)"
pc_dir=$(dirname "$(find "$prefix" -path '*/pkgconfig/tasknet.pc' -print -quit)")
flags=$(PKG_CONFIG_PATH=$pc_dir pkg-config --cflags --libs tasknet) || failed "pkg-config tasknet"
echo "$flags"
# The CMake target's INTERFACE_COMPILE_OPTIONS: without it GCC makes no tail call at -O0 and
# deep_awaits overflows the stack, so the -O0 builds below catch its absence too (with GCC).
[[ " $flags " == *" -foptimize-sibling-calls "* ]] || failed "Cflags lack -foptimize-sibling-calls"
for opt in -O0 -O2; do
  for source in "${sources[@]}"; do
    program=$work/$(basename "$source" .cpp)-pkg-config$opt
    # $flags is split into words on purpose: it is a command line.
    # shellcheck disable=SC2086
    quietly "$cxx" "$opt" "$source" $flags -o "$program" && run_program "$program"
  done
done

echo "== find_package(tasknet) in a CMake project"
for opt in -O0 -O2; do
  binary_dir=$work/consumer$opt
  quietly "$cmake" -S "$source_dir/tests/install/consumer" -B "$binary_dir" \
    -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE= \
    -DCMAKE_CXX_FLAGS="$opt" -DTASKNET_SOURCE_DIR="$source_dir" || continue
  found=$(sed -n 's/^tasknet_DIR:PATH=//p' "$binary_dir/CMakeCache.txt")
  [[ $found == "$prefix"/* ]] || failed "find_package found tasknet in $found, not in $prefix"
  quietly "$cmake" --build "$binary_dir" || continue
  for source in "${sources[@]}"; do
    program=$binary_dir/$(basename "$source" .cpp)
    mv "$program" "$program-cmake$opt"
    run_program "$program-cmake$opt"
  done
done

((failures == 0)) || {
  echo "$failures failures" >&2
  exit 1
}
echo "PASS: pkg-config and find_package(tasknet) both build and run against the installed prefix"
