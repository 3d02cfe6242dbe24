"""The `ww` command line: run services, migrate, mint dev tokens, export the event catalogue.

Composed here from its parts: the processes (`processes.py`), the development tools
(`dev.py`), the mail sink (`mail.py`), the simulation (`simulate.py`), each service's scheduled
jobs (`<svc>/jobs.py`, under `ww jobs`) and triage's model commands (`ww triage`).
"""

from __future__ import annotations

import typer

from coaching.jobs import app as coaching_jobs
from intake.jobs import app as intake_jobs
from starters.jobs import app as starters_jobs
from triage.jobs import app as triage_jobs
from triage_fitting.cli import app as triage_app
from ww.cli import dev, processes, simulate
from ww.cli.mail import app as mail_app

app = typer.Typer(
    help="WW case handling: operations and development commands.", no_args_is_help=True
)
app.add_typer(processes.app)
app.add_typer(dev.app)
app.add_typer(simulate.app, name="simulate")

jobs_app = typer.Typer(
    help="Scheduled jobs, run once against the service's database (for cron / CronJobs).",
    no_args_is_help=True,
)
for service_jobs in (intake_jobs, triage_jobs, coaching_jobs, starters_jobs):
    jobs_app.add_typer(service_jobs)
app.add_typer(jobs_app, name="jobs")
app.add_typer(mail_app, name="mail")
# Service command groups register lazily-importing commands; the import of the group
# itself is cheap (heavy libraries are imported inside the commands).
app.add_typer(triage_app, name="triage")
