from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class DatagovConfig(AppConfig):
    name = "datagov"
    verbose_name = _("Data governance")

    def ready(self):
        from datagov import catalogue

        # After every migrate (and every flush of a test database): the catalogue gains a row
        # for each new dataset and field, so it can never fall behind the models.
        post_migrate.connect(catalogue.sync_after_migrate, sender=self)
