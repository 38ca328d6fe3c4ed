"""Root conftest: registers the fixture modules and nothing else."""

pytest_plugins = [
    "fixtures.settings",
    "fixtures.browser",
    "fixtures.sandbox",
    "fixtures.observers",
    "fixtures.pages",
    "fixtures.checklist",
    "fixtures.reporting",
    "fixtures.forger",
]
