from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HotlineConfig(AppConfig):
    name = "hotline"
    verbose_name = _("12345 hotline")

    def ready(self):
        # The case page shows the work order through grid's extension point, so grid and cases
        # never import this app (pyproject.toml's contracts).
        from hotline import panels

        panels.register()
