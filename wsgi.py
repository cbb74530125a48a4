"""WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi ...`."""

import gc

from app import create_app

app = create_app()
# What imports and the app built lives as long as the process: keep it out of the cyclic
# collector's scans (a sync push allocates hundreds of thousands of objects, and each full
# collection walked all of these too), and out of pages forked workers would copy.
gc.freeze()
