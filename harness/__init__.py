"""The certification harness library: settings, browser choice, observers and checks. No test code."""

__version__ = "0.1.0"
