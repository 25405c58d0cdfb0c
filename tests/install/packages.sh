#!/usr/bin/env bash
# The Debian packages as a user meets them. Builds them from this build tree with
# scripts/package, checks that each holds what it should (dpkg-deb --contents) and that lintian
# finds no error, unpacks both into a fresh root (dpkg-deb -x: no root privileges, and nothing
# written outside the temporary directory), checks the systemd units there with
# systemd-analyze verify, runs the unpacked tasknet-echo, and builds and runs the examples
# against the unpacked libtasknet-dev with pkg-config and find_package(tasknet)
# (consumers.sh --prefix).
# Usage: packages.sh BUILD_DIR SOURCE_DIR CXX CMAKE   (CTest runs it, label install)
set -euo pipefail
build_dir=$1 source_dir=$2 cxx=$3 cmake=$4

work=$(mktemp -d "${TMPDIR:-/tmp}/tasknet-packages.XXXXXX")
trap 'rm -rf "$work"' EXIT

failures=0
failed() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}
for tool in dpkg-deb lintian; do
  command -v "$tool" >/dev/null || {
    echo "FAIL: no $tool (scripts/install-deps installs it)" >&2
    exit 1
  }
done

echo "== scripts/package"
"$source_dir/scripts/package" "$work/debs" --build-dir "$build_dir"
echo_deb=$(compgen -G "$work/debs/tasknet-echo_*.deb") || failed "no tasknet-echo package"
dev_deb=$(compgen -G "$work/debs/libtasknet-dev_*.deb") || failed "no libtasknet-dev package"
((failures == 0)) || exit 1

echo "== dpkg-deb --contents"
# expect_files DEB PATTERN...: each pattern (a path in the package; * for the libdir) is there.
expect_files() {
  local deb=$1 contents pattern
  shift
  contents=$(dpkg-deb --contents "$deb" | awk '{print $6}')
  for pattern in "$@"; do
    # shellcheck disable=SC2053  # the pattern is a glob on purpose
    grep -q -x -- "$pattern" <<<"$contents" ||
      failed "$(basename "$deb") lacks $pattern; it holds: $(tr '\n' ' ' <<<"$contents")"
  done
}
expect_files "$echo_deb" ./usr/bin/tasknet-echo ./usr/share/man/man1/tasknet-echo.1.gz \
  ./lib/systemd/system/tasknet-echo.service ./lib/systemd/system/tasknet-echo.socket \
  ./usr/share/doc/tasknet-echo/copyright ./usr/share/doc/tasknet-echo/changelog.Debian.gz
expect_files "$dev_deb" ./usr/include/tasknet/tasknet.hpp ./usr/include/tasknet/version.hpp \
  './usr/lib/\(.*/\)\?libtasknet\.a' './usr/lib/\(.*/\)\?cmake/tasknet/tasknetConfig\.cmake' \
  './usr/lib/\(.*/\)\?pkgconfig/tasknet\.pc' ./usr/share/doc/libtasknet-dev/copyright
dpkg-deb --field "$echo_deb" Package Version Depends
dpkg-deb --field "$dev_deb" Package Version Depends

echo "== lintian (errors fail; warnings are shown)"
status=0
lintian --fail-on error "$echo_deb" "$dev_deb" >"$work/lintian.log" 2>&1 || status=$?
grep -v 'running with root privileges' "$work/lintian.log" || true
((status == 0)) || failed "lintian found errors (exit status $status)"

echo "== unpacked into a fresh root"
root=$work/root
dpkg-deb -x "$echo_deb" "$root"
dpkg-deb -x "$dev_deb" "$root"
version=$("$root/usr/bin/tasknet-echo" --version) || failed "the unpacked tasknet-echo --version"
echo "$version"
if command -v systemd-analyze >/dev/null; then
  # The units as installed, but for ExecStart naming the unpacked binary (verify checks that it
  # is there; --root would want a whole system's units beside them). --man=no: the man page is
  # in the root, where `man` does not look.
  mkdir "$work/units"
  for unit in tasknet-echo.socket tasknet-echo.service; do
    sed "s|=/usr/bin/tasknet-echo|=$root/usr/bin/tasknet-echo|" \
      "$root/lib/systemd/system/$unit" >"$work/units/$unit"
  done
  systemd-analyze verify --man=no "$work/units/tasknet-echo.socket" \
    "$work/units/tasknet-echo.service" || failed "systemd-analyze verify of the units"
  echo "systemd-analyze verify: the units are well-formed"
else
  echo "no systemd-analyze: the units are not verified"
fi

echo "== an example built against the unpacked libtasknet-dev"
bash "$source_dir/tests/install/consumers.sh" --prefix "$root/usr" "$source_dir" "$cxx" "$cmake" ||
  failed "building against the unpacked libtasknet-dev"

((failures == 0)) || {
  echo "$failures failures" >&2
  exit 1
}
echo "PASS: both packages hold what they should, lintian finds no error, and they work unpacked"
