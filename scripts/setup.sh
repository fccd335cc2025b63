#!/usr/bin/env bash
# Sets up a Debian 12 machine for Herald and builds it: installs the Debian packages that are
# missing (with sudo when not root), configures with CMake and builds into ./build.
#   scripts/setup.sh            # Release-like build (RelWithDebInfo) in ./build
#   BUILD_DIR=out scripts/setup.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
build_dir=${BUILD_DIR:-build}
# ccache keys on paths relative to the checkout, so another clone of the same sources (CI's)
# reuses what this one compiled; the sloppiness lets it cache the files built with the
# precompiled header.
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-20G} \
  CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime

packages=(
  build-essential cmake ninja-build ccache pkg-config git tzdata clang-format openssl faketime
  libboost-dev libyaml-cpp-dev libspdlog-dev libfmt-dev libhowardhinnant-date-dev
  libcli11-dev nlohmann-json3-dev libsqlite3-dev libicu-dev libssl-dev libre2-dev
  libcurl4-openssl-dev libcpp-httplib-dev
  python3 python3-dev pybind11-dev python3-pytest python3-mypy python3-yaml  # yaml: tests/docs
  libgtest-dev libgmock-dev libbenchmark-dev
  clang libclang-rt-14-dev  # the libFuzzer targets (scripts/fuzz.sh)
)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
# The tests run the reference Bluesky PDS on Node.js; Debian's is used when there is none.
command -v node > /dev/null || missing+=(nodejs npm libnode-dev python3)
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo=()
  [[ $(id -u) -eq 0 ]] || sudo=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -q
  "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

launcher=()
command -v ccache > /dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S . -B "$build_dir" -G Ninja "${launcher[@]}" > /dev/null
cmake --build "$build_dir" -j "$(nproc)"

# `import herald` for Debian's python3 (and for the python3 on PATH when it is another build
# of the same version): a .pth file that points at this build's package.
python_dir="$(cd "$build_dir" && pwd)/python"
for python in /usr/bin/python3 "$(command -v python3 || true)"; do
  [[ -x $python ]] || continue
  [[ $("$python" -c 'import sys; print(sys.version_info[:2] == (3, 11))') == True ]] || continue
  site=$("$python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  pth="$site/herald.pth"
  [[ -f $pth && $(cat "$pth") == "$python_dir" ]] && continue
  sudo=()
  [[ -w $(dirname "$site") || -w $site ]] || sudo=(sudo)
  "${sudo[@]}" mkdir -p "$site"
  echo "$python_dir" | "${sudo[@]}" tee "$pth" > /dev/null
  echo "setup: $python imports herald from $python_dir ($pth)"
done
