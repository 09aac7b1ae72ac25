# Sourced by scripts/demo and scripts/test: make (or reuse) .venv with the project installed.
# Needs only Python 3.11+; on Debian/Ubuntu the venv module comes from python3-venv, which is
# installed here when missing and we are root.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "huddle-board needs Python 3.11 or newer (found: $("$PYTHON" --version 2>&1))." >&2
    exit 2
fi
if [ ! -x .venv/bin/python ]; then
    if ! "$PYTHON" -m venv .venv 2>/dev/null; then
        rm -rf .venv
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
            apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
            "$PYTHON" -m venv .venv
        else
            echo "Cannot create a virtual environment: install python3-venv." >&2
            exit 2
        fi
    fi
fi
stamp=.venv/.installed-$(cat pyproject.toml | cksum | cut -d' ' -f1)-${EXTRAS:-none}
if [ ! -f "$stamp" ]; then
    .venv/bin/python -m pip install -q --upgrade pip >/dev/null
    .venv/bin/python -m pip install -q -e ".${EXTRAS:+[$EXTRAS]}"
    rm -f .venv/.installed-*
    touch "$stamp"
fi
