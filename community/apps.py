from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommunityConfig(AppConfig):
    name = "community"
    verbose_name = _("Community services")

    def ready(self):
        # The dashboard and the monthly report (cases) show community services' figures
        # through grid/extensions.py, without importing this app.
        from community import reports
        from grid import extensions

        for place in (extensions.DASHBOARD, extensions.MONTHLY_REPORT):
            extensions.register_panel(
                place, "community", "community/_dashboard_section.html", reports.panel
            )

        # The workbench's tiles of service requests and care visits (grid's home page).
        from community import workbench

        workbench.register()
