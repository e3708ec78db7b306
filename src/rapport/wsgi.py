"""The WSGI application (gunicorn: ``rapport.wsgi:application``)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rapport.settings")
application = get_wsgi_application()


def _warm_up() -> None:
    """Load the URLconf (and so every view module) while the worker boots.

    Django does it lazily on the first request, which then takes about a second; with several
    workers that second lands on real users' first clicks after every start or recycle.
    """
    from django.urls import get_resolver

    get_resolver().check()  # resolves every include: imports all views


_warm_up()
