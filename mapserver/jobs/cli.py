"""`mapserver worker`: the process that runs the queued uploads."""

from __future__ import annotations

import signal
import threading

import click
from flask import current_app
from flask.cli import with_appcontext

from mapserver.jobs.worker import Worker, WorkerSettings


@click.command("worker")
@click.option("--threads", type=click.IntRange(1, 64), help="Jobs run side by side (default WORKER_THREADS).")
@with_appcontext
def worker_command(threads: int | None) -> None:
    """Run queued uploads until stopped (Ctrl-C or SIGTERM lets running loads finish; twice stops at once)."""
    stop = threading.Event()

    def graceful(signum, _frame) -> None:
        click.echo("worker: stopping after the running jobs (again to stop now)", err=True)
        stop.set()
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)

    signal.signal(signal.SIGINT, graceful)
    signal.signal(signal.SIGTERM, graceful)
    threads = threads or int(current_app.config["WORKER_THREADS"])
    click.echo(f"worker: {threads} thread(s) waiting for jobs", err=True)
    Worker(WorkerSettings.from_config(current_app.config), current_app.extensions["mapserver.catalog"]).run(
        stop, threads)
