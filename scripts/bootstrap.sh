#!/bin/sh
# Installs what building, running and testing tiaokuai need on Debian, and does
# nothing when everything is already there.
#   scripts/bootstrap.sh run     packages for building and serving
#   scripts/bootstrap.sh check   also the test and benchmark tools, and npm packages
set -eu
mode=${1:-run}

build_pkgs="gcc make meson ninja-build pkg-config python3 libmicrohttpd-dev libjansson-dev
  libsqlite3-dev libsodium-dev libgeos-dev libxlsxwriter-dev libcurl4-openssl-dev zlib1g-dev"
check_pkgs="libcriterion-dev nodejs npm chromium sqlite3 wrk fonts-noto-cjk clang-format git"

pkgs=$build_pkgs
[ "$mode" = check ] && pkgs="$pkgs $check_pkgs"

missing=""
for p in $pkgs; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
    # node and npm may come from elsewhere than Debian; a working command is enough.
    case $p in
      nodejs) command -v node >/dev/null 2>&1 && continue ;;
      npm) command -v npm >/dev/null 2>&1 && continue ;;
    esac
    missing="$missing $p"
  fi
done

if [ -n "$missing" ]; then
  echo "bootstrap: installing$missing"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
fi

if [ "$mode" = check ] || [ -f package-lock.json ]; then
  stamp=node_modules/.package-lock.json
  if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
    echo "bootstrap: npm ci"
    npm ci --no-audit --no-fund --loglevel=error
  fi
fi
