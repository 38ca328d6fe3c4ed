"""Errors of the harness itself, kept apart from checklist failures: the report files them as harness errors."""

from __future__ import annotations


class HarnessError(Exception):
    """The harness could not do its job (a setup, a selector profile, a misuse of the storefront contract); says
    nothing about the integration under test, so it is never a failed (or passed) checklist item."""


class ProfileError(HarnessError):
    """A selector profile is unreadable or malformed, or one of its steps matched nothing on the site; the message
    names the profile file, the table and the step."""
