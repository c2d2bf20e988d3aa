"""The operator's pages under /admin: one blueprint, its routes grouped by what they change."""
from . import approvals, floor, rooms, sessions  # noqa: F401 - each adds its routes to the blueprint
from .common import bp

__all__ = ["bp"]
