#!/usr/bin/env bash
# Install huddle-board as a kiosk on a Debian or Ubuntu ward PC. Run as root; safe to run again
# (to upgrade the board from a newer checkout, or to switch between console and browser).
#
#   kiosk/install.sh [--browser] [--dry-run] [CHECKOUT]
#
#   CHECKOUT    the huddle-board source to install (default: the folder above this script)
#   --browser   enable the browser kiosk (cage + Chromium on tty1, served by
#               `huddle-board serve`) instead of the terminal kiosk on the console
#   --dry-run   print what would be done and change nothing (root not needed)
#
# What it does: a system user `huddle` (home /var/lib/huddle-board, no password), a virtual
# environment in /opt/huddle-board with the board installed, /etc/huddle-board/settings.toml
# (only when absent; mode 0640 root:huddle), the systemd units in /etc/systemd/system, enabled
# (not started). The next steps (set up the ward, the PIN, the central store) are printed last.
set -euo pipefail

PREFIX=/opt/huddle-board
CONF_DIR=/etc/huddle-board
SETTINGS=$CONF_DIR/settings.toml
STATE_DIR=/var/lib/huddle-board
UNIT_DIR=/etc/systemd/system
USER_NAME=huddle
CONSOLE_UNITS=(huddle-board-console.service)
BROWSER_UNITS=(huddle-board-serve.service huddle-board-browser.service)
ALL_UNITS=("${CONSOLE_UNITS[@]}" "${BROWSER_UNITS[@]}")

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MODE=console
DRY_RUN=0
CHECKOUT=

usage() {
    sed -n '2,10s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
}

while [ $# -gt 0 ]; do
    case $1 in
        --browser) MODE=browser ;;
        --dry-run) DRY_RUN=1 ;;
        -h | --help)
            usage
            exit 0
            ;;
        -*)
            echo "install.sh: unknown option $1" >&2
            usage >&2
            exit 2
            ;;
        *)
            if [ -n "$CHECKOUT" ]; then
                echo "install.sh: only one checkout path, please" >&2
                exit 2
            fi
            CHECKOUT=$1
            ;;
    esac
    shift
done
CHECKOUT=$(cd "${CHECKOUT:-$HERE/..}" && pwd)

if [ ! -f "$CHECKOUT/pyproject.toml" ] || ! grep -q '^name = "huddle-board"' "$CHECKOUT/pyproject.toml"; then
    echo "install.sh: $CHECKOUT is not a huddle-board checkout (no pyproject.toml for it)" >&2
    exit 2
fi
for unit in "${ALL_UNITS[@]}"; do
    if [ ! -f "$HERE/systemd/$unit" ]; then
        echo "install.sh: $HERE/systemd/$unit is missing" >&2
        exit 2
    fi
done
if [ "$DRY_RUN" = 0 ] && [ "$(id -u)" != 0 ]; then
    echo "install.sh: run as root (sudo $0 ...), or with --dry-run to see what it would do" >&2
    exit 1
fi

# Every change goes through `run`: printed, and done unless --dry-run.
run() {
    if [ "$DRY_RUN" = 1 ]; then
        printf 'would run:'
    else
        printf '+'
    fi
    printf ' %q' "$@"
    printf '\n'
    if [ "$DRY_RUN" = 0 ]; then
        "$@"
    fi
}

note() {
    printf '%s\n' "$*"
}

if [ "$DRY_RUN" = 1 ]; then
    note "== dry run: nothing is changed"
fi
note "== huddle-board kiosk ($MODE) from $CHECKOUT"

# -- packages ------------------------------------------------------------------------------------
# The system's Python: the virtual environment links to it, and the huddle user must be able
# to run it (a Python under a person's home, pyenv's say, is not readable by huddle).
PYTHON=${HUDDLE_PYTHON:-/usr/bin/python3}
packages=()
if [ ! -x "$PYTHON" ]; then
    packages+=(python3)
elif ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "install.sh: huddle-board needs $PYTHON 3.11 or newer (Debian 12, Ubuntu 24.04)" >&2
    exit 2
fi
if [ ! -x "$PYTHON" ] || ! "$PYTHON" -c 'import ensurepip, venv' 2>/dev/null; then
    packages+=(python3-venv)
fi
if [ "$MODE" = browser ]; then
    command -v cage >/dev/null || packages+=(cage)
    command -v chromium >/dev/null || packages+=(chromium)
fi
if [ ${#packages[@]} -gt 0 ]; then
    note "== packages: ${packages[*]}"
    run apt-get update -qq
    run env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}"
else
    note "== packages: nothing missing"
fi

# -- the huddle user ----------------------------------------------------------------------------
if getent passwd "$USER_NAME" >/dev/null; then
    note "== user $USER_NAME exists"
else
    note "== user $USER_NAME"
    run useradd --system --user-group --home-dir "$STATE_DIR" --no-create-home \
        --shell /usr/sbin/nologin --comment "huddle-board kiosk" "$USER_NAME"
fi
if [ "$MODE" = browser ]; then
    # The browser's session on tty1 reaches the screen and input devices through logind;
    # these groups are the fallback where it does not.
    for group in video render input; do
        if getent group "$group" >/dev/null; then
            run usermod --append --groups "$group" "$USER_NAME"
        fi
    done
fi

# -- folders --------------------------------------------------------------------------------------
note "== folders"
run install -d -m 0750 -o "$USER_NAME" -g "$USER_NAME" "$STATE_DIR"
run install -d -m 0750 -o root -g "$USER_NAME" "$CONF_DIR"

# -- the board, in its own virtual environment ------------------------------------------------------
note "== virtual environment $PREFIX"
if [ ! -x "$PREFIX/bin/python" ]; then
    run "$PYTHON" -m venv "$PREFIX"
elif [ "$DRY_RUN" = 0 ] && ! runuser -u "$USER_NAME" -- "$PREFIX/bin/python" -c '' 2>/dev/null; then
    # made by an earlier install from a Python the huddle user cannot run: made again
    run "$PYTHON" -m venv --clear "$PREFIX"
fi
run "$PREFIX/bin/python" -m pip install --quiet --upgrade pip
run "$PREFIX/bin/python" -m pip install --quiet --upgrade "$CHECKOUT"
if [ "$DRY_RUN" = 0 ] && ! runuser -u "$USER_NAME" -- "$PREFIX/bin/huddle-board" --help >/dev/null; then
    echo "install.sh: $PREFIX/bin/huddle-board does not run as $USER_NAME" >&2
    exit 1
fi

# -- settings, only when absent ---------------------------------------------------------------------
if [ -e "$SETTINGS" ]; then
    note "== $SETTINGS exists: kept as it is"
else
    note "== $SETTINGS"
    run install -m 0640 -o root -g "$USER_NAME" "$HERE/settings.toml" "$SETTINGS"
fi

# -- systemd units --------------------------------------------------------------------------------
note "== systemd units"
for unit in "${ALL_UNITS[@]}"; do
    run install -m 0644 -o root -g root "$HERE/systemd/$unit" "$UNIT_DIR/$unit"
done
if [ -d /run/systemd/system ]; then
    run systemctl daemon-reload
else
    note "(systemd is not running here: no daemon-reload; the units load at the next boot)"
fi
if [ "$MODE" = browser ]; then
    enable=("${BROWSER_UNITS[@]}")
    disable=("${CONSOLE_UNITS[@]}")
else
    enable=("${CONSOLE_UNITS[@]}")
    disable=("${BROWSER_UNITS[@]}")
fi
# Only one kiosk owns tty1: switching modes disables the other one.
run systemctl disable --quiet "${disable[@]}"
run systemctl enable --quiet "${enable[@]}"

# -- next steps ---------------------------------------------------------------------------------------
board="$PREFIX/bin/huddle-board"
if [ "$MODE" = browser ]; then
    where="Chromium in kiosk mode"
else
    where="the terminal kiosk on the console"
fi
logs=$(printf ' -u %s' "${enable[@]}")
cat <<EOF

== done: enabled ${enable[*]} (not started). Next steps (kiosk/README.md has them in full):

1. Set up the ward (once; the board file is $STATE_DIR/board.db):
     runuser -u $USER_NAME -- $board --settings $SETTINGS init --ward RAI-7A --name "Ward 7A Respiratory"
2. Set the admin PIN (asked twice; it leaves kiosk mode and opens the admin functions):
     runuser -u $USER_NAME -- $board set-pin --db $STATE_DIR/board.db
3. Pair with the central store: IT creates the kiosk's token with
     huddle-central token create --database URL --ward RAI-7A --device kiosk-7a
   then, on this PC, put it in $CONF_DIR/token, readable only by $USER_NAME:
     install -m 0600 -o $USER_NAME -g $USER_NAME /dev/null $CONF_DIR/token
     nano $CONF_DIR/token      # paste the token: one line
   and set in $SETTINGS:
     store_url = "https://huddle-central.example.nhs.uk"
     token_file = "$CONF_DIR/token"
   check it with:
     runuser -u $USER_NAME -- $PREFIX/bin/huddle-sync status --settings $SETTINGS
4. Reboot: the board comes up full screen on tty1 ($where).
   Logs: journalctl${logs}
EOF
