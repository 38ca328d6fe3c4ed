"""`python -m sandbox`: serve the simulator and the reference store for a person to click through."""

from __future__ import annotations

import argparse
import threading

from harness.customers import load_customers
from sandbox.flexiti.state import CUSTOMERS_FILE
from sandbox.servers import Sandbox


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    parser.parse_args()
    with Sandbox() as sandbox:
        print(f"Reference store:   {sandbox.urls.store}")
        print(f"Flexiti simulator: {sandbox.urls.api_base}")
        print("Test customers (enter these at checkout):")
        for role, customer in load_customers(CUSTOMERS_FILE).items():
            accounts = len(customer.accounts)
            print(f"  {role:16} {customer.first_name} {customer.last_name}, born {customer.dob}, "
                  f"postal code {customer.postal_code}, {accounts} account(s); "
                  f"SMS code {customer.sms_code}, email code {customer.email_code}")
        print("Press Ctrl-C to stop.")
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print("\nStopping.")


if __name__ == "__main__":
    main()
