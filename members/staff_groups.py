"""The staff roles and what each may do. Applied by data migrations and kept here so a
later migration can re-apply it when apps add models (members/migrations/0003 does, for
rewards and api; 0004 for the reward catalogue and redemptions: Club admins fulfil, with
``rewards.fulfil_redemption``, and Sales reps see their accounts' orders; 0005 for campaigns;
``insights/migrations/0002`` for ``insights.view_insights``; ``groups/migrations/0002`` for
company groups).

Page, image and document permissions for Marketing are Wagtail's and set in
``cms/migrations``.
"""

from django.contrib.auth.management import create_permissions

SALES_REPS = "Sales reps"
MARKETING = "Marketing"
CLUB_ADMINS = "Club admins"

# group name -> {app_label: [codename, ...] or "*" for every permission of the app}
STAFF_GROUP_PERMISSIONS: dict[str, dict[str, list[str] | str]] = {
    SALES_REPS: {
        "members": ["view_company", "view_membership", "view_user"],
        # The company groups and transfers of their accounts (groups/migrations/0002).
        "groups": ["view_companygroup", "view_companygroupmember", "view_companygroupadmin", "view_pointstransfer"],
        "rewards": [
            "view_pointsaccount",
            "view_ledgerentry",
            "view_purchase",
            "view_tier",
            "view_reward",
            "view_rewardcategory",
            "view_redemption",
        ],
        # What is running for their accounts, and the campaigns' results.
        "campaigns": ["view_campaign", "view_campaignrule", "view_activity", "view_challenge", "view_badge"],
        # Insights for their own accounts (the scope is members.selectors.staff_company_q).
        "insights": ["view_insights"],
    },
    MARKETING: {
        "wagtailadmin": ["access_admin"],
        "wagtailimages": ["add_image", "change_image", "choose_image", "delete_image"],
        "wagtaildocs": ["add_document", "change_document", "choose_document", "delete_document"],
        "core": ["change_branding", "view_branding"],
        # Copy a page into Swedish or Dutch ("Translate" in the page's menu).
        "simple_translation": ["submit_translation"],
        # Marketing plans campaigns, activities and challenges; club admins may also delete.
        "campaigns": [
            f"{action}_{model}"
            for model in ("campaign", "campaignrule", "segment", "activity", "challenge", "badge")
            for action in ("add", "change", "view")
        ]
        + ["view_activitycompletion", "change_activitycompletion", "view_referral", "view_campaignaward"],
        "insights": ["view_insights"],
    },
    CLUB_ADMINS: {
        "members": "*",
        "rewards": "*",
        "campaigns": "*",
        "api": "*",
        "reps": "*",
        "insights": ["view_insights", "view_segmentsnapshot"],
        "messaging": ["view_thread", "view_message", "view_broadcast"],
        "notifications": ["view_notification"],
        "django_celery_beat": ["view_periodictask", "view_crontabschedule", "view_intervalschedule"],
        "wagtailadmin": ["access_admin"],
        "simple_translation": ["submit_translation"],
        # The audit trail (read-only for everyone) and people's data requests
        # (privacy/migrations/0002 applies these).
        "auditlog": ["view_logentry"],
        "privacy": "*",
        # Company groups: branches, group admins, points mode and threshold (groups/migrations/0002).
        "groups": "*",
    },
}


def apply_staff_group_permissions(apps) -> None:
    """Create the staff groups and give each exactly its permissions. Idempotent."""
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, grants in STAFF_GROUP_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        permissions = []
        for app_label, codenames in grants.items():
            queryset = Permission.objects.filter(content_type__app_label=app_label)
            if codenames != "*":
                queryset = queryset.filter(codename__in=codenames)
            permissions.extend(queryset)
        group.permissions.add(*permissions)
