from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommunityConfig(AppConfig):
    name = "community"
    verbose_name = _("Community services")

    def ready(self):
        # The dashboards (cases) show community services' figures without importing this app.
        from cases import sections
        from community import reports

        sections.register("dashboard", reports.section)
        sections.register("report", reports.section)
