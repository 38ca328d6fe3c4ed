"""Flexiti widget page objects; every locator they use is defined in `locators.py`."""
