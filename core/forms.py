"""What the portal's forms share."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


class HiddenFieldErrorsMixin:
    """For a ``Form`` with hidden fields (a key made when the form was shown): an error on a
    hidden field has no field on the page to show it under, so it becomes the form's own
    error ("This form has expired; …"), which every form template shows. Without it the page
    says "please correct the problem below" and shows no problem."""

    hidden_field_error = _("This form has expired; please reload the page and try again.")

    def full_clean(self):
        super().full_clean()
        hidden = [name for name in self._errors if name in self.fields and self.fields[name].widget.is_hidden]
        if hidden:
            for name in hidden:
                del self._errors[name]
            self.add_error(None, self.hidden_field_error)
