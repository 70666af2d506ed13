"""Conversations between a member company and its sales rep.

A ``Thread`` belongs to one company. Its other side is always the company's *current*
sales rep (``Company.sales_rep``): when an account moves to another rep, its conversations
and their history move with it, so no thread is left with someone who no longer looks
after the account. Club admins may read and answer every thread.

Messages are plain text (links are made clickable when shown, after escaping) with
optional attachments. Each person's read state is one ``ThreadReadState`` row per thread,
which also remembers what has been e-mailed to them (messages are e-mailed in batches,
at most one e-mail per thread and person every ``MESSAGE_EMAIL_INTERVAL_MINUTES``).

Only ``messaging.services`` writes these rows.
"""

from __future__ import annotations

import uuid
from pathlib import PurePosixPath

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AttachmentType(models.TextChoices):
    """The allow-list of attachment types; each file's content is checked, not only its name."""

    PDF = "application/pdf", _("PDF document")
    PNG = "image/png", _("PNG image")
    JPEG = "image/jpeg", _("JPEG image")
    WEBP = "image/webp", _("WebP image")


ATTACHMENT_EXTENSIONS = {
    AttachmentType.PDF: (".pdf",),
    AttachmentType.PNG: (".png",),
    AttachmentType.JPEG: (".jpg", ".jpeg"),
    AttachmentType.WEBP: (".webp",),
}


class Broadcast(models.Model):
    """One message a rep sent to many of their accounts at once.

    It lands as one message in one new thread per company (``Thread.broadcast``, UNIQUE per
    company), so a delivery run twice, or resumed after a crash, reaches each company once.
    ``key`` comes from the form the rep filled in: a resubmitted form is the same broadcast.
    """

    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("sender"), on_delete=models.PROTECT, related_name="+"
    )
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("message"))
    audience = models.CharField(_("audience"), max_length=300, blank=True, help_text=_("The filter the rep chose."))
    companies = models.ManyToManyField(
        "members.Company", verbose_name=_("companies"), related_name="broadcasts", blank=True
    )
    # Files stored once for every company's message: [{"file", "name", "content_type", "size"}].
    attachments = models.JSONField(_("attachments"), default=list, blank=True)
    key = models.CharField(_("key"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("sent"), default=timezone.now)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        verbose_name = _("broadcast")
        verbose_name_plural = _("broadcasts")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.subject


class Thread(models.Model):
    """A conversation between one member company and its sales rep (see the module docstring).

    ``last_message``/``last_message_at``/``message_count`` are kept by
    ``messaging.services.message_post`` under a lock on this row, so messages in a thread
    get ids in the order they were written. ``email_checked_upto`` is the e-mail batching
    job's checkpoint: messages up to that id need no more e-mail work.
    """

    company = models.ForeignKey(
        "members.Company", verbose_name=_("company"), on_delete=models.CASCADE, related_name="threads"
    )
    subject = models.CharField(_("subject"), max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("started"), default=timezone.now)
    broadcast = models.ForeignKey(
        Broadcast, verbose_name=_("broadcast"), on_delete=models.PROTECT, null=True, blank=True, related_name="threads"
    )
    last_message = models.ForeignKey(
        "Message", verbose_name=_("last message"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    last_message_at = models.DateTimeField(_("last message"), null=True, blank=True)
    message_count = models.PositiveIntegerField(_("messages"), default=0)
    email_checked_upto = models.BigIntegerField(_("e-mails checked up to message"), default=0)

    class Meta:
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        ordering = ["-last_message_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["broadcast", "company"],
                condition=Q(broadcast__isnull=False),
                name="messaging_thread_one_per_broadcast_and_company",
            ),
            models.CheckConstraint(condition=~Q(subject=""), name="messaging_thread_subject_not_empty"),
        ]
        indexes = [models.Index(fields=["company", "-last_message_at"], name="messaging_thread_recent")]

    def __str__(self) -> str:
        return self.subject


class Message(models.Model):
    """One message in a thread: plain text, never empty, with optional attachments."""

    thread = models.ForeignKey(
        Thread, verbose_name=_("conversation"), on_delete=models.CASCADE, related_name="messages"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    body = models.TextField(_("message"))
    created_at = models.DateTimeField(_("written"), default=timezone.now)
    broadcast = models.ForeignKey(
        Broadcast, verbose_name=_("broadcast"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["thread", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(body=""), name="messaging_message_body_not_empty"),
        ]
        indexes = [models.Index(fields=["thread", "id"], name="messaging_msg_thread_id")]

    def __str__(self) -> str:
        return self.body[:60]


def attachment_path(instance: Attachment, filename: str) -> str:
    """A random name under the month: attachment URLs are checked views, and names in storage
    never carry what a person typed."""
    extension = PurePosixPath(filename).suffix.lower()
    return f"messaging/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{extension}"


class Attachment(models.Model):
    """A file attached to a message: a PDF or an image whose content was checked on upload.

    Served only through ``messaging.views`` after the same access check as its thread,
    never from a public media URL. A broadcast's file is stored once and referenced by the
    attachment rows of every company's message.
    """

    message = models.ForeignKey(
        Message, verbose_name=_("message"), on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=200)
    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=40, choices=AttachmentType.choices)
    size = models.PositiveIntegerField(_("size (bytes)"))

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["message", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(content_type__in=AttachmentType.values), name="messaging_attachment_type_allowed"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_image(self) -> bool:
        return self.content_type != AttachmentType.PDF


class ThreadReadState(models.Model):
    """What one person has read of one thread, and what has been e-mailed to them.

    ``last_read_message_id`` only moves forward; messages in a thread get increasing ids in
    the order they are written (``message_post`` locks the thread), so "unread" is simply
    "a message by someone else with a higher id". ``last_emailed_*`` drive the batching:
    a message is e-mailed at most once, and a person gets at most one e-mail per thread per
    ``MESSAGE_EMAIL_INTERVAL_MINUTES``.
    """

    thread = models.ForeignKey(Thread, verbose_name=_("conversation"), on_delete=models.CASCADE, related_name="reads")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("person"), on_delete=models.CASCADE, related_name="thread_reads"
    )
    last_read_message_id = models.BigIntegerField(_("read up to message"), default=0)
    last_read_at = models.DateTimeField(_("last read"), null=True, blank=True)
    last_emailed_message_id = models.BigIntegerField(_("e-mailed up to message"), default=0)
    last_emailed_at = models.DateTimeField(_("last e-mailed"), null=True, blank=True)

    class Meta:
        verbose_name = _("read state")
        verbose_name_plural = _("read states")
        constraints = [
            models.UniqueConstraint(fields=["thread", "user"], name="messaging_one_read_state_per_person"),
        ]
        indexes = [models.Index(fields=["user", "thread"], name="messaging_read_user_thread")]

    def __str__(self) -> str:
        return f"{self.user_id} read {self.thread_id} up to {self.last_read_message_id}"
