#!/usr/bin/env bash
# Make Debian's Chromium available for the study's browser test (tests/study/test_browser.py).
# Installs it with apt when it is missing and we are root; never fails hard, because the
# test skips with a clear reason when /usr/bin/chromium is absent.
set -u

if [ -x /usr/bin/chromium ]; then
    echo "chromium: present at /usr/bin/chromium"
    exit 0
fi
if [ "$(id -u)" != "0" ]; then
    echo "chromium: missing and not root; install it with: sudo apt-get install -y chromium"
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "chromium: missing and apt-get is not available; the browser test will skip"
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
if apt-get update -qq >/dev/null 2>&1 \
    && apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1 \
    && [ -x /usr/bin/chromium ]; then
    echo "chromium: installed at /usr/bin/chromium"
else
    echo "chromium: could not be installed with apt-get; the browser test will skip"
fi
exit 0
