"""Schedules: the nightly build at 02:00 Budapest time, with the previous day as the as-of date."""

import datetime as dt

import dagster as dg

from assets.settings import ClientbookSettings
from pipelines.jobs import nightly_job
from pipelines.resources import settings_from_env


def settings_run_config(settings: ClientbookSettings, as_of: str) -> dict[str, object]:
    """Run config replacing the whole settings resource config: Dagster does not merge it field by field."""
    fields = {name: getattr(settings, name) for name in ClientbookSettings.model_fields}
    return {"resources": {"settings": {"config": fields | {"as_of": as_of}}}}


@dg.schedule(job=nightly_job, cron_schedule="0 2 * * *", execution_timezone="Europe/Budapest")
def nightly_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    """Run the nightly job as of the previous calendar day, the last day whose extracts are complete."""
    as_of = (context.scheduled_execution_time.date() - dt.timedelta(days=1)).isoformat()
    return dg.RunRequest(
        run_key=as_of,
        run_config=settings_run_config(settings_from_env(), as_of),
        tags={"clientbook/as_of": as_of, "clientbook/trigger": "schedule"},
    )
