"""gunicorn settings for production: `gunicorn -c gunicorn.conf.py wsgi:app` (docs/operations.md).

Behind nginx on the same machine: gunicorn listens on 127.0.0.1 only, nginx terminates HTTPS,
serves /static/ itself and buffers slow clients, so plain sync workers suffice. Each worker opens
its own database connections (the app is not preloaded into the master). Any setting can be
overridden with PLAJU_GUNICORN_* below or on the command line (`-b`, `-w`).
"""
import multiprocessing
import os

bind = os.environ.get("PLAJU_GUNICORN_BIND", "127.0.0.1:8000")
# one worker per core and one more; requests are short and wait on the database
workers = int(os.environ.get("PLAJU_GUNICORN_WORKERS", multiprocessing.cpu_count() + 1))
worker_class = "sync"
# a request that takes longer is stuck (the slowest page, a signed letter, takes well under a second)
timeout = int(os.environ.get("PLAJU_GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# recycle workers now and then so that no slow leak grows for weeks; the jitter spreads the restarts
max_requests = 5000
max_requests_jitter = 500
preload_app = False
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# nginx sets X-Forwarded-Proto; the app's own PLAJU_TRUSTED_PROXIES decides about X-Forwarded-For
forwarded_allow_ips = os.environ.get("PLAJU_GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
# headers and request line bounded (uploads are bounded by nginx and the app, see PLAJU_MAX_UPLOAD_MB)
limit_request_line = 4094
limit_request_fields = 100
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("PLAJU_GUNICORN_LOGLEVEL", "info")
# a refusal answered 200 for the browser's console names its real status in X-Refused-Status
access_log_format = '%(h)s "%(r)s" %(s)s %({x-refused-status}o)s %(b)s %(M)sms "%({x-request-id}i)s"'
proc_name = "plaju"
