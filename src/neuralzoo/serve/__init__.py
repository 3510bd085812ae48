"""``neuralzoo serve``: the playground, the lecture's networks live in a browser.

:func:`create_app` builds the Starlette app (static pages and a JSON API); the command line
runs it with uvicorn. The models are built on the fly (a Hopfield network stores its digits in
milliseconds), or loaded from the run folders given with ``--runs``.
"""

from .app import create_app

__all__ = ["create_app"]
