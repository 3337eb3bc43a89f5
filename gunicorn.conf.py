"""gunicorn reads ./gunicorn.conf.py when started here without -c: use the shipped settings.

Without this, a plain `gunicorn wsgi:app` from the repository would run with gunicorn's
defaults, whose request-line and header limits answer with HTML pages.
"""

import runpy
from pathlib import Path

_shipped = runpy.run_path(str(Path(__file__).resolve().parent / "deploy" / "gunicorn.conf.py"))
globals().update({k: v for k, v in _shipped.items() if not k.startswith("__")})
