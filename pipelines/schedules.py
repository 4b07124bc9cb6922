"""Schedules: the nightly build at 02:00 Budapest time, with the previous day as the as-of date."""

import datetime as dt
from collections.abc import Mapping

import dagster as dg

from assets.partitions import first_month, range_tags
from assets.settings import FIRM_TZ, ClientbookSettings, reference_month
from pipelines.jobs import nightly_job
from pipelines.resources import settings_from_env


def settings_run_config(settings: ClientbookSettings, as_of: str) -> dict[str, object]:
    """Run config replacing the whole settings resource config: Dagster does not merge it field by field."""
    fields = {name: getattr(settings, name) for name in ClientbookSettings.model_fields}
    return {"resources": {"settings": {"config": fields | {"as_of": as_of}}}}


def nightly_run_request(
    as_of: str, trigger: str, run_key: str, tags: Mapping[str, str] | None = None
) -> dg.RunRequest:
    """The one way the schedule and the sensor ask for a nightly run: full settings, tags, a run-time limit.

    `dagster/max_runtime` makes the daemon's run monitoring (dagster.yaml) stop a run still going
    after `max_runtime_seconds`.
    """
    settings = settings_from_env()
    # every month partition up to the as-of date's last complete month: the nightly range
    months = range_tags(first_month(), reference_month(dt.date.fromisoformat(as_of)))
    return dg.RunRequest(
        run_key=run_key,
        run_config=settings_run_config(settings, as_of),
        tags={
            "clientbook/as_of": as_of,
            "clientbook/trigger": trigger,
            "dagster/max_runtime": str(settings.max_runtime_seconds),
            **months,
            **(tags or {}),
        },
    )


def as_of_before(moment: dt.datetime) -> str:
    """The calendar day before `moment` in Europe/Budapest, the last day whose extracts are complete."""
    local = moment.astimezone(FIRM_TZ) if moment.tzinfo else moment
    return (local.date() - dt.timedelta(days=1)).isoformat()


@dg.schedule(job=nightly_job, cron_schedule="0 2 * * *", execution_timezone="Europe/Budapest")
def nightly_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    """Run the nightly job as of the previous calendar day, the last day whose extracts are complete."""
    as_of = as_of_before(context.scheduled_execution_time)
    return nightly_run_request(as_of, "schedule", run_key=as_of)
