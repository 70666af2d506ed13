"""factory_boy factories shared by the test tree."""

from __future__ import annotations

import factory
from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group

from members.models import Company, Country, Membership, MembershipRole, User

TEST_PASSWORD = "correct-horse-battery-42"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    # A factory person chose English in their profile, so a test reads English texts whatever
    # their company's country; tests of how a language is chosen pass ``language=""``.
    language = "en"
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def verified_email(self, create, extracted, **kwargs):
        if create:
            self.save()
            EmailAddress.objects.get_or_create(
                user=self, email=self.email, defaults={"verified": True, "primary": True}
            )


class StaffFactory(UserFactory):
    is_staff = True

    @factory.post_generation
    def group(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(Group.objects.get(name=extracted))


def _valid_swedish_org_number(n: int) -> str:
    from members.validators import _luhn_ok

    base = f"55{n:07d}"
    for check in range(10):
        if _luhn_ok(base + str(check)):
            return f"{base[:6]}-{base[6:]}{check}"
    raise AssertionError("unreachable")


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Company

    name = factory.Sequence(lambda n: f"Company {n} AB")
    country = Country.SWEDEN
    org_number = factory.Sequence(_valid_swedish_org_number)
    city = "Stockholm"
    external_id = factory.Sequence(lambda n: f"EXT-{n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    company = factory.SubFactory(CompanyFactory)
    role = MembershipRole.PURCHASER


def _invitation_expiry():
    from datetime import timedelta

    from django.utils import timezone

    return timezone.now() + timedelta(days=14)


class InvitationFactory(factory.django.DjangoModelFactory):
    """An open invitation, as if a company admin had sent it (no e-mail is sent)."""

    class Meta:
        model = "members.Invitation"

    company = factory.SubFactory(CompanyFactory)
    email = factory.Sequence(lambda n: f"invitee{n}@example.com")
    role = MembershipRole.PURCHASER
    invited_by = None
    expires_at = factory.LazyFunction(_invitation_expiry)
