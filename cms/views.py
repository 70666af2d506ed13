"""Thin request handlers for what pages do besides showing themselves."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from . import services
from .models import RegistrationStatus


def event_registration_post(request, event):
    """POST on an event page: ``action=sign_up`` or ``action=cancel``. The service keeps the
    rules (members only, sign-up open, a registration to cancel) and says why it refuses."""
    action = request.POST.get("action")
    event = event.registration_event()  # one list of places for every language of the event
    try:
        if action == "sign_up":
            result = services.event_sign_up(event_id=event.pk, user=request.user)
            if result.registration.status == RegistrationStatus.CONFIRMED:
                messages.success(request, _("You have a place. See you there!"))
            else:
                messages.info(
                    request,
                    _(
                        "The event is full, so you are on the waiting list. If a place frees up it is yours automatically."
                    ),
                )
        elif action == "cancel":
            services.event_cancel(event_id=event.pk, user=request.user)
            messages.success(request, _("Your registration is cancelled."))
        else:
            messages.error(request, _("Unknown action."))
    except services.NotRegistered as error:
        messages.warning(request, str(error))
    except services.ContentError as error:
        messages.error(request, str(error))
    return redirect(event.get_url(request))
