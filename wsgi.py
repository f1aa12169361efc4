"""Entry point for a WSGI server: gunicorn 'wsgi:app'."""
from plaju import create_app

app = create_app()
