from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartyConfig(AppConfig):
    name = "party"
    verbose_name = _("Party building")

    def ready(self):
        # The grid page and the dashboards show party building through grid's extension
        # point, so grid and cases never import this app (pyproject.toml's contracts).
        from party import panels

        panels.register()
