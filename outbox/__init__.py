"""The task outbox: background work recorded in the same transaction as the write that
causes it, and handed to the broker after the commit — now if the broker answers, or by
the relay once it does. See ``outbox.services``."""
