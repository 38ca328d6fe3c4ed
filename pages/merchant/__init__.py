"""Storefront page objects."""
