"""Factories shared by the tests and by ``manage.py seed_demo``."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from factory.django import DjangoModelFactory

from pae_ops.models import Language, Notification, Profile
from pae_ops.roles import Role

User = get_user_model()

DEMO_PASSWORD = "pae-demo-2026"


class UserFactory(DjangoModelFactory[User]):
    """A portal user; traits give the roles: ``UserFactory(leader=True)``."""

    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name", locale="es_MX")
    last_name = factory.Faker("last_name", locale="es_MX")
    email = factory.LazyAttribute(lambda o: f"{o.username}@pae-ops.test")
    password = factory.django.Password(DEMO_PASSWORD)

    class Params:
        agent = factory.Trait(roles__add=[Role.AGENT])
        leader = factory.Trait(roles__add=[Role.LEADER])
        director = factory.Trait(roles__add=[Role.DIRECTOR])
        admin = factory.Trait(roles__add=[Role.ADMIN], is_staff=True)
        partner_approver = factory.Trait(roles__add=[Role.PARTNER_APPROVER])

    @factory.post_generation
    def roles(self, create: bool, extracted, **kwargs) -> None:
        """Put the user in the groups of ``roles`` (a list of Role); traits add theirs."""
        wanted = [*(extracted or []), *kwargs.get("add", [])]
        if create and wanted:
            self.groups.add(*Group.objects.filter(name__in=[role.value for role in wanted]))

    @factory.post_generation
    def profile(self, create: bool, extracted, **kwargs) -> None:
        """Every user gets a profile; ``leader=``, ``language=`` and ``time_zone=`` set it."""
        if create:
            Profile.objects.update_or_create(
                user=self,
                defaults={
                    "leader": kwargs.get("leader"),
                    "language": kwargs.get("language", Language.SPANISH),
                    "time_zone": kwargs.get("time_zone", ""),
                },
            )


class ProfileFactory(DjangoModelFactory[Profile]):
    class Meta:
        model = Profile
        django_get_or_create = ("user",)

    user = factory.SubFactory(UserFactory)
    language = Language.SPANISH


class NotificationFactory(DjangoModelFactory[Notification]):
    class Meta:
        model = Notification

    recipient = factory.SubFactory(UserFactory)
    kind = "general"
    title = factory.Faker("sentence", nb_words=5, locale="es_MX")
