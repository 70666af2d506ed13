"""Reading a Django admin change form's fields as a browser would submit them, for the tests
that post every admin form back (the audit trail's, the hostile keys')."""

from __future__ import annotations

from html.parser import HTMLParser


class AdminFormReader(HTMLParser):
    """The fields of the form ``form_id`` as a browser submits them: ``data`` in page order
    (``(name, value)``, a name once per value), ``text_fields`` the free text and number
    inputs of the main form (not an inline's, not read-only)."""

    def __init__(self, form_id: str):
        super().__init__()
        self.form_id = form_id
        self.inside = False
        self.data: list[tuple[str, str]] = []
        self.text_fields: list[str] = []
        self._select: str | None = None
        self._textarea: str | None = None

    def fields(self) -> dict[str, list[str]]:
        """``data`` as a test client posts it: each name with its values."""
        fields: dict[str, list[str]] = {}
        for name, value in self.data:
            fields.setdefault(name, []).append(value)
        return fields

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("id") == self.form_id:
            self.inside = True
        if not self.inside:
            return
        name = attrs.get("name")
        if tag == "input" and name and "disabled" not in attrs:
            kind = attrs.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self.data.append((name, attrs.get("value") or "on"))
            elif kind not in ("submit", "button", "file", "image"):
                self.data.append((name, attrs.get("value") or ""))
                if kind in ("text", "number") and "-" not in name and "readonly" not in attrs:
                    self.text_fields.append(name)
        elif tag == "select" and name and "disabled" not in attrs:
            self._select = name
        elif tag == "option" and self._select and "selected" in attrs:
            self.data.append((self._select, attrs.get("value") or ""))
        elif tag == "textarea" and name and "disabled" not in attrs:
            self._textarea = name
            self.data.append((name, ""))
            if "-" not in name:
                self.text_fields.append(name)

    def handle_data(self, data):
        if self._textarea:
            name, value = self.data[-1]
            self.data[-1] = (name, value + data)

    def handle_endtag(self, tag):
        if tag == "form" and self.inside:
            self.inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            if self._textarea:
                name, value = self.data[-1]
                self.data[-1] = (name, value.removeprefix("\n"))
            self._textarea = None
