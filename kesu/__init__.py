"""kesu (客诉): closed-loop customer feedback and complaint management."""

from kesu.celery import app as celery_app

__all__ = ["celery_app"]
