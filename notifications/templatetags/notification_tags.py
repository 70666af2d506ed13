"""The notification e-mail choices as a card any page can show (the profile page does):
members' profile view needs to know nothing of notifications.

    {% load notification_tags %}
    {% notification_preferences_card %}
"""

from __future__ import annotations

from django import template

from notifications.forms import NotificationPreferencesForm
from notifications.selectors import notification_email_preferences

register = template.Library()


@register.inclusion_tag("notifications/preferences_card.html", takes_context=True)
def notification_preferences_card(context) -> dict:
    user = context["request"].user
    form = NotificationPreferencesForm(initial_preferences=notification_email_preferences(user=user))
    return {"notification_form": form, "request": context["request"]}
