#!/bin/sh
# The cron container: cron starts jobs with an empty environment, so the container's environment
# (MONGODB_URI, keys, ...) is written to a root-only file that run-job.sh loads, then cron runs in
# the foreground with the crontab from deploy/crontab.
set -eu
mkdir -p /run/sentimatrix
umask 077
python - <<'PY' > /run/sentimatrix/cron.env
import os, shlex
for key, value in sorted(os.environ.items()):
    if key not in {"HOME", "PWD", "SHLVL", "_", "HOSTNAME"} and key.isidentifier():
        print(f"export {key}={shlex.quote(value)}")
PY
crontab /app/deploy/crontab
echo "cron: schedule installed:"
grep -Ev '^(#|$)' /app/deploy/crontab
exec cron -f
