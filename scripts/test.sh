#!/usr/bin/env bash
# Install everything the tests need, then run them: the README's test command.
#   bash scripts/test.sh [extra pytest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."

# Graphviz's `dot` renders pictures; the rendering tests need it. Install it where we can.
if ! command -v dot >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null
    else
        echo "note: Graphviz's dot is missing; install it (e.g. 'sudo apt-get install graphviz')" >&2
    fi
fi

# The playback page's browser tests run Debian's Chromium, driven by Playwright (the browser
# extra); Playwright's own browser download is never used.
if [ ! -x /usr/bin/chromium ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    else
        echo "note: /usr/bin/chromium is missing; install it (e.g. 'sudo apt-get install chromium')" >&2
    fi
fi

# NOTE: the reference extra pins torch==2.13.0; any other torch would download gigabytes.
python -m pip install --quiet --disable-pip-version-check -e ".[dev,reference,playback,browser,docs]"

python -m ruff check .
# --dist loadgroup: a module whose tests share one page in order (xdist_group) stays on one worker
python -m pytest -n 2 --dist loadgroup "$@"
