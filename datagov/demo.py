"""The demo's data sharing: one request of the transport bureau (区交通运输局) for the households
of 黄埔花园社区, waiting for the community's decision, so `make run` shows the story of issue 16
from its first step. Idempotent: made only when the bureau has no request yet."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from datagov import sharing
from datagov.models import Dataset, SharingRequest
from grid.demo import DISTRICT_CODE, HOME_COMMUNITY
from grid.models import Area, Department

PURPOSE = "公交站点优化调研：核对社区住户分布，评估公交站点设置与老年人出行需求"


def build_sharing() -> SharingRequest | None:
    """The pending request (made once); None when the demo lacks the bureau or its login."""
    department = Department.objects.filter(code=f"{DISTRICT_CODE}-JT").first()
    actor = get_user_model().objects.filter(username="transport").first()
    community = Area.objects.filter(name=HOME_COMMUNITY, level=Area.Level.COMMUNITY).first()
    dataset = Dataset.objects.filter(key="grid.household").first()
    if None in (department, actor, community, dataset):
        return None
    existing = SharingRequest.objects.filter(department=department).first()
    if existing is not None:
        return existing
    today = timezone.localdate()
    return sharing.submit(
        actor=actor,
        dataset=dataset,
        field_names=["number", "kind", "registered_address", "house"],
        purpose=PURPOSE,
        area=community,
        starts_on=today,
        ends_on=today + timedelta(days=60),
        department=department,
    )
