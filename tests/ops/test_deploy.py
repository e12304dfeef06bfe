"""Deployment files: the crontab, its Celery beat twin, the cron wrapper, docker-compose, check --deploy."""

from __future__ import annotations

import base64
import fcntl
import json
import os
import secrets
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.core.management import get_commands

from sentimatrix.ops.tasks import ALLOWED_COMMANDS

ROOT = Path(__file__).resolve().parents[2]
CRONTAB = ROOT / "deploy" / "crontab"


def crontab_entries() -> list[tuple[list[str], list[str]]]:
    """(five schedule fields, command argv after run-job.sh) per line."""
    entries = []
    for line in CRONTAB.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split()
        assert parts[5] == "/app/deploy/run-job.sh", line
        entries.append((parts[:5], parts[6:]))
    return entries


def test_every_crontab_line_runs_an_existing_command() -> None:
    entries = crontab_entries()
    commands = {argv[0] for _, argv in entries}
    assert commands == {
        "run_due_schedules", "requeue_stuck_jobs", "backup_db", "cleanup_data", "reset_monthly_usage",
        "ensure_indexes", "db_stats",
    }  # fmt: skip
    available = get_commands()
    for schedule, argv in entries:
        assert len(schedule) == 5
        assert argv[0] in ALLOWED_COMMANDS
        # cleanup_data lands with the retention work; every other command must exist now
        if argv[0] != "cleanup_data":
            assert argv[0] in available, argv[0]


def beat_schedule(scheduler: str) -> dict:
    code = (
        "import json, django, os; django.setup(); from django.conf import settings; "
        "print(json.dumps({k: {'task': v['task'], 'args': list(v.get('args', []))} "
        "for k, v in settings.CELERY_BEAT_SCHEDULE.items()}))"
    )
    env = {**os.environ, "HOUSEKEEPING_SCHEDULER": scheduler, "DJANGO_SETTINGS_MODULE": "sentimatrix.settings.test"}
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True)  # noqa: S603
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_beat_schedule_mirrors_the_crontab_only_when_chosen() -> None:
    cron = {
        " ".join(argv) for _, argv in crontab_entries() if argv[0] not in {"run_due_schedules", "requeue_stuck_jobs"}
    }
    beat = beat_schedule("beat")
    ops = {" ".join(entry["args"]) for entry in beat.values() if entry["task"] == "ops.run_command"}
    assert ops == cron
    # the scraping sweeps of the crontab are beat tasks too, only when beat is chosen (one, not both)
    scraping = {"scraping.run_due_schedules", "scraping.requeue_stuck_jobs"}
    assert scraping <= {e["task"] for e in beat.values()}
    cron_beat = {entry["task"] for entry in beat_schedule("cron").values()}
    assert not cron_beat & {"ops.run_command", *scraping}
    assert "integrations.dispatch_webhooks" in cron_beat  # the apps' own periodic tasks run either way


def test_ops_task_refuses_other_commands() -> None:
    from sentimatrix.ops.tasks import run_command

    with pytest.raises(ValueError, match="does not run 'flush'"):
        run_command("flush")


@pytest.mark.skipif(shutil.which("flock") is None, reason="needs flock (util-linux)")
def test_run_job_wrapper_logs_propagates_exit_codes_and_skips_overlaps(tmp_path) -> None:
    app = tmp_path / "app"
    app.mkdir()
    (app / "manage.py").write_text(
        "import sys\nprint('ran', *sys.argv[1:])\nsys.exit(3 if sys.argv[1] == 'fail' else 0)\n"
    )
    env_file = tmp_path / "cron.env"
    env_file.write_text(f"export PATH={shlex.quote(str(Path(sys.executable).parent))}:$PATH\nexport MARK=loaded\n")
    env = {"PATH": os.environ["PATH"], "APP_DIR": str(app), "SENTIMATRIX_CRON_ENV": str(env_file)}
    script = str(ROOT / "deploy" / "run-job.sh")

    done = subprocess.run([script, "db_stats", "--json"], env=env, capture_output=True, text=True)  # noqa: S603
    assert done.returncode == 0
    assert "cron: start db_stats --json" in done.stdout and "ran db_stats --json" in done.stdout
    assert "cron: end db_stats exit=0" in done.stdout

    failed = subprocess.run([script, "fail"], env=env, capture_output=True, text=True)  # noqa: S603
    assert failed.returncode == 3 and "cron: end fail exit=3" in failed.stdout

    with open("/tmp/sentimatrix-busy_cmd.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        skipped = subprocess.run([script, "busy_cmd"], env=env, capture_output=True, text=True)  # noqa: S603
    assert skipped.returncode == 75 and "skipped, the previous run is still going" in skipped.stdout
    assert "ran busy_cmd" not in skipped.stdout


def test_docker_compose_runs_the_whole_deployment() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"mongo", "mongo-init", "redis", "migrate", "web", "worker", "beat", "cron"} <= set(services)
    assert "--replSet" in services["mongo"]["command"]
    assert services["web"]["command"][0] == "gunicorn"
    assert services["cron"]["command"] == ["/app/deploy/cron-entrypoint.sh"]
    assert services["cron"]["environment"]["BACKUP_DIR"] == "/backups"
    assert "bootstrap_admin --if-configured" in services["migrate"]["command"][-1]
    assert (ROOT / "deploy" / "cron-entrypoint.sh").stat().st_mode & 0o111
    assert (ROOT / "deploy" / "run-job.sh").stat().st_mode & 0o111
    requirements = (ROOT / "requirements.txt").read_text()
    assert "gunicorn==" in requirements


def test_production_settings_pass_check_deploy_without_security_warnings() -> None:
    key = lambda: base64.b64encode(secrets.token_bytes(32)).decode()  # noqa: E731
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "sentimatrix.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "sentimatrix.example.com",
        "MONGODB_URI": "mongodb://mongo:27017/sentimatrix?replicaSet=rs0",
        "SENTIMATRIX_FIELD_KEYS": f"k1:{key()}",
        "SENTIMATRIX_FIELD_KEY_PRIMARY": "k1",
        "FIELD_FINGERPRINT_KEY": key(),
    }
    done = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"], env=env, cwd=ROOT, capture_output=True, text=True
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "security." not in output, output
