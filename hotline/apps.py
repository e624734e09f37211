from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HotlineConfig(AppConfig):
    name = "hotline"
    verbose_name = _("12345 hotline")

    def ready(self):
        # The case page shows the work order through grid's extension point, and the case steps
        # reach the hotline through cases' consumer registry, so grid and cases never import
        # this app (pyproject.toml's contracts).
        from cases import extensions
        from hotline import outbound, panels, services
        from webhooks.events import register_event_types

        panels.register()
        register_event_types(outbound.EVENT_TYPES)
        extensions.register_step_consumer("hotline", services.steps_recorded)
