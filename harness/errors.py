"""Errors of the harness itself: reported as broken runs, never as failed checklist items."""


class HarnessError(Exception):
    """The harness, its machine or its configuration could not do its job; the message says how to fix it."""


class ProfileError(HarnessError):
    """A selector profile is wrong (missing file, bad field, a selector that matches nothing)."""
