"""Zero the monthly usage counters of every account not yet reset this month (cron, 1st of month)."""

from __future__ import annotations

from typing import Any

from sentimatrix.ops.command import OpsCommand


class Command(OpsCommand):
    help = (
        "Zero usage.scrapes_this_month and usage.api_calls_this_month of every account whose last "
        "reset is in an earlier month (UTC). Idempotent: running it twice in a month, or on two "
        "hosts at once, resets nobody twice. Run it shortly after midnight UTC on the 1st."
    )
    audit_event = "ops.usage_reset"
    changes_data = True

    def run(self, **options: Any) -> str:
        from django.utils import timezone

        from accounts.models import User

        now = timezone.now()
        month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        due = (
            User.objects.filter(usage__last_reset_at__lt=month_start).count()
            + User.objects.filter(usage__last_reset_at=None).count()
        )
        if self.dry_run:
            return f"would reset {due} accounts"
        from accounts.services import usage_reset_monthly

        reset = usage_reset_monthly(now=now)
        if reset:
            self.record_changes({"accounts_reset": reset, "month": f"{now:%Y-%m}"})
        return f"reset {reset} accounts for {now:%Y-%m}"
