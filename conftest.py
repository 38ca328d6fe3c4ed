"""Root conftest: registers the fixture modules and nothing else."""

# Order matters only for assertion rewriting: a module must be registered before another one imports it.
pytest_plugins = [
    "fixtures.checklist",
    "fixtures.reporting",
    "fixtures.interruption",
    "fixtures.settings",
    "fixtures.browser",
    "fixtures.sandbox",
    "fixtures.faults",
    "fixtures.observers",
    "fixtures.pages",
    "fixtures.forger",
]
