"""Factories for accounts, citizens, children and officials (synthetic, valid SNILS)."""

from __future__ import annotations

import datetime as dt
import random

import factory

from gorod.people import snils
from gorod.people.models import Citizen, Guardianship, Official, Role, User
from tests.places.factories import ApartmentFactory, DistrictFactory, InstitutionFactory

PASSWORD = "correct-horse-battery-staple"
_rng = random.Random(20261124)


class UserFactory(factory.django.DjangoModelFactory):
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


class CitizenFactory(factory.django.DjangoModelFactory):
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
    user = None
    first_name = factory.Sequence(lambda n: f"Сын{n}")
    birth_date = dt.date(2021, 3, 2)


def child_of(parent: Citizen, **kwargs: object) -> Citizen:
    child = ChildFactory(apartment=parent.apartment, last_name=parent.last_name, **kwargs)
    Guardianship.objects.create(guardian=parent, child=child)
    return child


class OfficialFactory(factory.django.DjangoModelFactory):
    """A registry clerk of a fresh institution unless told otherwise."""

    class Meta:
        model = Official

    user = factory.SubFactory(UserFactory, is_staff=True)
    role = Role.REGISTRY_CLERK
    institution = factory.SubFactory(InstitutionFactory)
    district = None


def district_official(role: str = Role.UTILITY_OPERATOR, **kwargs: object) -> Official:
    return OfficialFactory(role=role, institution=None, district=kwargs.pop("district", None) or DistrictFactory(), **kwargs)


def city_official(role: str = Role.CITY_ADMIN, **kwargs: object) -> Official:
    return OfficialFactory(role=role, institution=None, district=None, **kwargs)
