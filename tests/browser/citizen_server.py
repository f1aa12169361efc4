"""A server for the citizen-updates journey: the demo people and the document types only, the phone
gateway pointed by the environment (PLAJU_CITIZEN_GATEWAY, PLAJU_GATEWAY_*) at the test's local server.

Run as `python -m tests.browser.citizen_server PORT` with PLAJU_DATABASE_URL, PLAJU_INSTANCE_PATH and
PLAJU_DEMO_PASSWORD set; only the browser tests start it, on 127.0.0.1.
"""
import os
import sys

from flask_migrate import upgrade
from werkzeug.serving import run_simple

from plaju import create_app
from plaju.accounts.demo import seed_people
from plaju.documents.seed import seed_types
from plaju.extensions import db


def main(port: int) -> None:
    app = create_app()
    with app.app_context():
        upgrade(revision="heads")
        seed_people(os.environ["PLAJU_DEMO_PASSWORD"])
        seed_types()
        db.session.remove()
    run_simple("127.0.0.1", port, app, threaded=True, use_reloader=False)


if __name__ == "__main__":
    main(int(sys.argv[1]))
