from __future__ import annotations

from django import template
from django.apps import apps
from wagtail.images.models import Filter

from cms import selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def member_content(context):
    """Offers and news for the dashboard panel, scoped to the member in the request."""
    return selectors.dashboard_content(context["request"])


@register.simple_tag(takes_context=True)
def site_page(context, model_name: str):
    """The first live page of a cms type (e.g. "OfferIndexPage"), for links; None if absent."""
    cache = context.render_context.setdefault("cms_site_pages", {})
    if model_name not in cache:
        model = apps.get_model("cms", model_name)
        cache[model_name] = selectors.for_reader(model.objects.live()).first()
    return cache[model_name]


@register.simple_tag
def rendition_img(image, spec: str, css_class: str = "", alt: str = ""):
    """An <img> for ``image`` resized by ``spec``, reusing an existing rendition.

    Wagtail's ``{% image %}`` writes every rendition it uses back to the cache, which
    with the database cache is a few queries per image on every request. Here an
    existing rendition (prefetched by the selectors, or in the cache/database) is used
    as is; only a missing one is generated, once.
    """
    if image is None:
        return ""

    rendition_filter = Filter(spec=spec)
    try:
        rendition = image.find_existing_rendition(rendition_filter)
    except image.get_rendition_model().DoesNotExist:
        rendition = image.get_rendition(rendition_filter)
    attrs = {"alt": alt}
    if css_class:
        attrs["class"] = css_class
    return rendition.img_tag(attrs)
