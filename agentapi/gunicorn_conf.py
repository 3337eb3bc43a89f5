"""The shipped gunicorn settings as a module: `gunicorn -c python:agentapi.gunicorn_conf`.

They live in deploy/gunicorn.conf.py; an installed wheel carries that file inside the
package (agentapi/deploy/), a checkout has it next to the package. Either way this
module holds the same settings, so an install needs no checkout.
"""

import runpy
from pathlib import Path

_package = Path(__file__).resolve().parent
_file = next(
    path
    for path in (
        _package / "deploy" / "gunicorn.conf.py",
        _package.parent / "deploy" / "gunicorn.conf.py",
    )
    if path.is_file()
)
globals().update({k: v for k, v in runpy.run_path(str(_file)).items() if not k.startswith("__")})
