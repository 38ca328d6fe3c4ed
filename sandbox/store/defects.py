"""Switchable defects of the reference store: each breaks one documented rule, so the harness's own tests
can prove the certification suite catches it. The clean store has none."""

from __future__ import annotations

# defect name -> what the store then does wrong
DEFECTS = {
    "tax_left_out": "authorizes the subtotal plus shipping, without the tax",
}
