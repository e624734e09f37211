from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GridConfig(AppConfig):
    name = "grid"
    verbose_name = _("Grid and registry")

    def ready(self):
        from django.core import checks

        from grid.crypto import check_data_keys

        checks.register(check_data_keys, checks.Tags.security)
