from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = _("Cases")

    def ready(self):
        # grid tells of an account over its personal data allowance by a signal, since grid
        # never imports cases; the supervisors' notices are written here.
        from cases.notifications import notify_access_alert
        from grid.signals import access_limit_reached

        access_limit_reached.connect(notify_access_alert, dispatch_uid="cases.notify_access_alert")

        # The workbench's tiles of cases and dispatches (grid's home page: grid/extensions.py).
        from cases.console import workbench

        workbench.register()
