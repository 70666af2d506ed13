"""Tables for member pages."""

import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from .models import Membership, MembershipRole


class ColleagueTable(tables.Table):
    name = tables.Column(verbose_name=_("Name"), accessor="user", order_by=("user__first_name", "user__last_name"))
    email = tables.EmailColumn(verbose_name=_("E-mail"), accessor="user__email")
    phone = tables.Column(verbose_name=_("Phone"), accessor="user__phone", default="—", orderable=False)
    role = tables.Column(verbose_name=_("Role"))
    created_at = tables.DateColumn(verbose_name=_("Joined"), format="SHORT_DATE_FORMAT")
    actions = tables.TemplateColumn(
        template_name="members/includes/colleague_actions.html",
        extra_context={"role_choices": MembershipRole.choices},
        verbose_name=_("Actions"),
        orderable=False,
        attrs={"th": {"class": "text-end"}, "td": {"class": "text-end"}},
    )

    class Meta:
        model = Membership
        fields = ["name", "email", "phone", "role", "created_at", "actions"]
        order_by = ("name",)
        empty_text = _("No colleagues yet.")

    def __init__(self, *args, can_manage: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not can_manage:
            self.exclude = ("actions",)
