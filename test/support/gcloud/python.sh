#!/bin/sh
# CLOUDSDK_PYTHON for the gcloud tests: gcloud's bundled Python (the one gcloud picks anyway), running
# gcloud under loopback_guard.py. Interpreter flags gcloud passes (-S, -W…) stay before the script.
here=$(dirname "$0")
py=/usr/lib/google-cloud-sdk/platform/bundledpythonunix/bin/python3
[ -x "$py" ] || py=python3
flags=""
while [ $# -gt 0 ]; do case "$1" in -*) flags="$flags $1"; shift;; *) break;; esac; done
# shellcheck disable=SC2086
exec "$py" $flags "$here/loopback_guard.py" "$@"
