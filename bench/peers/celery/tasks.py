# Celery's side of the latency comparison (bench/peers/celery-vs-tq.js). The producer stamps
# time.monotonic_ns() (CLOCK_MONOTONIC, the clock tq's latency bench uses too: one machine, shared
# by every process); the task returns how long ago that was, in ms: enqueue called -> task running.
import os
import time
from celery import Celery

url = os.environ.get('CELERY_REDIS_URL', 'redis://127.0.0.1:6379/7')
app = Celery('tasks', broker=url, backend=url)
# Celery's defaults otherwise; results expire soon so nothing is left behind for long.
app.conf.update(result_expires=300, broker_connection_retry_on_startup=True, worker_hijack_root_logger=False)


@app.task
def lat(t):
    return (time.monotonic_ns() - t) / 1e6
