from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class UtilitiesConfig(AppConfig):
    name = "gorod.utilities"
    label = "utilities"
    verbose_name = _("Utilities")
