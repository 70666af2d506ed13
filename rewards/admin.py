"""Django's admin autodiscovery imports ``<app>.admin``: this module only imports the admin of
each rewards sub-package, which registers its own models. No admin module imports another's
registrations; the ledger's account and entry admins are registered once, with the staff
corrections, in ``rewards.ledger.admin_staff``."""

from rewards.catalogue import admin as catalogue_admin  # noqa: F401
from rewards.ledger import admin as ledger_admin  # noqa: F401
from rewards.ledger import admin_staff as ledger_admin_staff  # noqa: F401
from rewards.purchases import admin as purchases_admin  # noqa: F401
from rewards.redemptions import admin as redemptions_admin  # noqa: F401
