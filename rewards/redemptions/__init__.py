"""Redemptions: orders, approvals, cancellations, staff fulfilment, with their event trail."""
