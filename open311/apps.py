from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Open311Config(AppConfig):
    name = "open311"
    verbose_name = _("Open311")

    def ready(self):
        # The case page shows the request through grid's extension point: cases never import
        # this app (pyproject.toml's contracts).
        from open311 import panels

        panels.register()
