"""Factories for accounts, citizens, children and officials (synthetic, valid SNILS)."""

from __future__ import annotations

import datetime as dt
import random

import factory
from django.utils import timezone

from gorod.people import snils
from gorod.people.models import ApiToken, Citizen, Guardianship, Official, Role, User
from gorod.people.roles import role_group
from gorod.people.services import api_token_create
from tests.places.factories import ApartmentFactory, DistrictFactory, InstitutionFactory

PASSWORD = "correct-horse-battery-staple"
_rng = random.Random(20261124)


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.test")
    display_name = factory.Sequence(lambda n: f"Пользователь {n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj: User, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            obj.save()


class CitizenFactory(factory.django.DjangoModelFactory[Citizen]):
    class Meta:
        model = Citizen

    user = factory.SubFactory(UserFactory)
    last_name = "Иванова"
    first_name = factory.Sequence(lambda n: f"Мария{n}")
    patronymic = "Петровна"
    birth_date = dt.date(1988, 5, 17)
    snils = factory.LazyFunction(lambda: snils.generate(_rng))
    apartment = factory.SubFactory(ApartmentFactory)


class ChildFactory(CitizenFactory):
    user = None  # a child has no account
    first_name = factory.Sequence(lambda n: f"Сын{n}")
    birth_date = dt.date(2021, 3, 2)


def child_of(parent: Citizen, **kwargs: object) -> Citizen:
    child = ChildFactory.create(apartment=parent.apartment, last_name=parent.last_name, **kwargs)
    Guardianship.objects.create(guardian=parent, child=child)
    return child


class OfficialFactory(factory.django.DjangoModelFactory[Official]):
    """A registry clerk of a fresh institution unless told otherwise."""

    class Meta:
        model = Official
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory, is_staff=True)
    role = Role.REGISTRY_CLERK
    institution = factory.SubFactory(InstitutionFactory)
    district = None

    @factory.post_generation
    def _role_group(obj: Official, create: bool, extracted: object, **kwargs: object) -> None:
        """In the role's group, as ``official_create`` puts every official."""
        if create:
            obj.user.groups.add(role_group(obj.role))


def district_official(role: str = Role.UTILITY_OPERATOR, **kwargs: object) -> Official:
    return OfficialFactory.create(
        role=role,
        institution=None,
        district=kwargs.pop("district", None) or DistrictFactory.create(),
        **kwargs,
    )


def city_official(role: str = Role.CITY_ADMIN, **kwargs: object) -> Official:
    return OfficialFactory.create(role=role, institution=None, district=None, **kwargs)


def teen_of(parent: Citizen, **kwargs: object) -> Citizen:
    """A 15-year-old child of ``parent`` with an account of their own."""
    born = dt.date(timezone.localdate().year - 15, 1, 1)
    teen = CitizenFactory.create(
        apartment=parent.apartment, last_name=parent.last_name, birth_date=born, **kwargs
    )
    Guardianship.objects.create(guardian=parent, child=teen)
    return teen


def token_for(user: User, name: str = "script") -> tuple[ApiToken, str]:
    """An API token and its raw key, made the way the service makes them."""
    return api_token_create(user=user, name=name)


def account(citizen: Citizen) -> User:
    """The account of a citizen made by ``CitizenFactory`` (which always makes one)."""
    assert citizen.user is not None
    return citizen.user
