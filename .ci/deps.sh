#!/usr/bin/env bash
# Installs what icetap's build and tests need (Debian packages, npm
# packages for the independent readers).  Idempotent and quiet when
# everything is present.  With --check it only verifies the build
# dependencies and says what to install.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_BUILD="nginx-core nginx-dev libcurl4-openssl-dev libssl-dev libjansson-dev
    liblua5.4-dev libzstd-dev libsnappy-dev zlib1g-dev libexpat1-dev pkg-config
    gcc make"
APT_TEST="libtest-base-perl libipc-run-perl libjson-xs-perl wrk clang
    libclang-rt-14-dev libfuzzer-14-dev"

missing() {
    local p out=""
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null \
            | grep -q "install ok installed" || out="$out $p"
    done
    echo "$out"
}

if [ "${1:-}" = "--check" ]; then
    m=$(missing $APT_BUILD)
    if [ -n "$m" ]; then
        echo "icetap: missing build dependencies:$m" >&2
        echo "icetap: run 'make deps' (or: apt-get install$m)" >&2
        exit 1
    fi
    exit 0
fi

m=$(missing $APT_BUILD $APT_TEST)

# node and npm may come from another packaging than Debian's: only ask apt
# for them when there is no node at all
command -v node > /dev/null && command -v npm > /dev/null || m="$m nodejs npm"

if [ -n "$m" ]; then
    echo "deps: installing$m"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends $m > /dev/null
fi

# npm packages of the independent readers (DuckDB, avsc, hyparquet, ...)
if [ ! -f t/node_modules/.icetap-stamp ] \
    || [ t/package.json -nt t/node_modules/.icetap-stamp ] \
    || [ t/package-lock.json -nt t/node_modules/.icetap-stamp ]
then
    echo "deps: installing npm packages in t/"
    # npm ci trips over the lock's other-platform optional bindings (npm 11);
    # install follows the lock file all the same
    (cd t && npm install --no-audit --no-fund --loglevel=error > /dev/null)
    touch t/node_modules/.icetap-stamp
fi

# moto (the S3 store of the tests) and boto3 come with the machine image's
# Python; say so clearly if they are not there.
if ! python3 -c 'import boto3, moto' 2>/dev/null; then
    echo "deps: python3 with boto3 and moto is required for the tests" >&2
    exit 1
fi
