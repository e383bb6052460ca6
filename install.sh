#!/usr/bin/env bash
# Install discover and everything it needs on a Debian/Ubuntu machine:
#   system packages (Chromium — Playwright's own browser download is not required — and,
#   with --dev, PostgreSQL, Dovecot and Redis for the test suite), a virtualenv in .venv, and the
#   package with its review and test extras. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")"

DEV=0
for arg in "$@"; do
  case "$arg" in
    --dev) DEV=1 ;;
    -h|--help) echo "usage: ./install.sh [--dev]   (--dev adds PostgreSQL, Dovecot and Redis for the tests)"; exit 0 ;;
    *) echo "install.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

need_apt=()
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || need_apt+=(chromium)
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || need_apt+=(python3-venv)
if [ "$DEV" = 1 ]; then
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_apt+=(postgresql)
  [ -x /usr/sbin/dovecot ] || need_apt+=(dovecot-imapd)
  command -v redis-server >/dev/null 2>&1 || [ -x /usr/bin/redis-server ] || need_apt+=(redis-server)
fi
if [ "${#need_apt[@]}" -gt 0 ]; then
  echo "==> installing system packages: ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  python3 -m venv .venv
fi
echo "==> installing discover into .venv"
.venv/bin/python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
.venv/bin/python -m pip install -q -e '.[review,test]'
echo "==> checking the set-up"
.venv/bin/discover doctor >/dev/null || { .venv/bin/discover doctor; exit 1; }
echo "==> ready: .venv/bin/discover --help"
