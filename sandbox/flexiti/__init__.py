"""The embedded Flexiti POS API, widget and SDK simulator."""
