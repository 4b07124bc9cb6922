"""Schedules: the nightly build at 02:00 Budapest time, with that night's date as the as-of date."""

import datetime as dt

import dagster as dg

from pipelines.jobs import nightly_job


@dg.schedule(job=nightly_job, cron_schedule="0 2 * * *", execution_timezone="Europe/Budapest")
def nightly_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    """Run the nightly job as of the previous calendar day, the last day whose extracts are complete."""
    as_of = (context.scheduled_execution_time.date() - dt.timedelta(days=1)).isoformat()
    return dg.RunRequest(
        run_key=as_of,
        run_config={"resources": {"settings": {"config": {"as_of": as_of}}}},
        tags={"clientbook/as_of": as_of},
    )
