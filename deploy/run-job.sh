#!/bin/sh
# Run one management command for cron: the app's environment, one run at a time, output to the log.
#   deploy/run-job.sh <command> [args...]
# Exit code: the command's own; 75 when the previous run of the same command is still going.
set -u
APP_DIR="${APP_DIR:-/app}"
ENV_FILE="${SENTIMATRIX_CRON_ENV:-/run/sentimatrix/cron.env}"
[ -r "$ENV_FILE" ] && . "$ENV_FILE"
cd "$APP_DIR" || exit 1
name="$1"
# The container's PID 1 owns the log that `docker compose logs cron` shows; elsewhere use stdout.
log=/proc/1/fd/1
[ -w "$log" ] || log=/dev/stdout
{
  echo "$(date -u +%FT%TZ) cron: start $*"
  flock -n -E 75 "/tmp/sentimatrix-$name.lock" python manage.py "$@"
  code=$?
  [ "$code" -eq 75 ] && echo "cron: $name skipped, the previous run is still going"
  echo "$(date -u +%FT%TZ) cron: end $name exit=$code"
  exit "$code"
} >>"$log" 2>&1
