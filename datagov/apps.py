from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class DatagovConfig(AppConfig):
    name = "datagov"
    verbose_name = _("Data governance")

    def ready(self):
        from datagov import catalogue, objection_panels

        # After every migrate (and every flush of a test database): the catalogue gains a row
        # for each new dataset and field, so it can never fall behind the models.
        post_migrate.connect(catalogue.sync_after_migrate, sender=self)
        # Objections (数据异议) on the registry's record pages, the dashboard and the grid page,
        # through grid/extensions.py: grid and cases never import datagov.
        objection_panels.register()
