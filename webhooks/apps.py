from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = _("Webhooks")

    def ready(self):
        # Every case step reaches the outbox once, in the transaction that marks it notified
        # (cases/extensions.py), without cases importing this app.
        from cases import extensions
        from webhooks import outbox

        extensions.register_step_consumer("webhooks", outbox.write_step_deliveries)
        # Community service requests' steps, written with each step (webhooks/service_requests.py).
        from django.apps import apps

        if apps.is_installed("community"):
            from webhooks import service_requests

            service_requests.register()
