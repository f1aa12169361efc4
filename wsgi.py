"""Entry point for a WSGI server: gunicorn 'wsgi:app'."""
import gc

from plaju import create_app

app = create_app()

# What the app builds at start (modules, templates, mappers, about 190,000 objects) lives as long as
# the worker: frozen out of the collector's reach, a full collection then scans only what requests
# left behind instead of pausing a page for a quarter of a second now and then.
gc.collect()
gc.freeze()
