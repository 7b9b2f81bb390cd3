"""API stage: the REST API (FastAPI) over the store and the live pipeline; see `create_app`."""

from loghealth.api.app import create_app

__all__ = ["create_app"]
