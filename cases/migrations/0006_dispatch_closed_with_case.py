"""Dispatches closed with their case (closed_with_case), and the rollups' count of those closed
before their deadline. Cooperating dispatches left open by a case that resolved before this
change are closed now, as the workflow closes them from now on: each gets its final state and a
`dispatch_close_with_case` step appended to its case's history (a new case version), dated
when the case resolved. Run `manage.py rebuild_rollups` afterwards so the departments' figures
count them (docs/metrics.md)."""

from django.db import migrations, models
from django.db.models import F
from django.utils import timezone

OPEN = ("pending", "signed")
# The case has moved on: it is no longer dispatched, nor paused with its dispatches.
MOVED_ON = ("reported", "in_progress", "resolved", "closed", "rejected")
REASON = "主办部门反馈办结，案件已办结，随案关闭（升级时补记）"


def close_left_open(apps, schema_editor):
    Case = apps.get_model("cases", "Case")
    CaseEvent = apps.get_model("cases", "CaseEvent")
    Dispatch = apps.get_model("cases", "Dispatch")
    stale = Dispatch.objects.filter(status__in=OPEN, case__status__in=MOVED_ON).order_by(
        "case_id", "pk"
    )
    for dispatch in stale.iterator():
        case = Case.objects.get(pk=dispatch.case_id)
        resolved = (
            CaseEvent.objects.filter(
                case_id=case.pk,
                action="resolve",
                from_status="dispatched",
                at__gte=dispatch.dispatched_at,
            )
            .order_by("version")
            .values_list("at", flat=True)
            .first()
        )
        moment = resolved or case.resolved_at or case.closed_at or timezone.now()
        # Late only if its own deadline passed before the case resolved (a flag the sweeper
        # set afterwards, on a dispatch nobody owed any more, does not count).
        late = dispatch.due_at <= moment
        Dispatch.objects.filter(pk=dispatch.pk).update(
            status="closed_with_case",
            version=F("version") + 1,
            closed_at=moment,
            closure_reason=REASON,
        )
        version = case.version + 1
        Case.objects.filter(pk=case.pk).update(version=version)
        CaseEvent.objects.create(
            case_id=case.pk,
            action="dispatch_close_with_case",
            actor=None,
            at=moment,
            from_status=case.status,
            to_status=case.status,
            from_level=case.level,
            to_level=case.level,
            from_holder_id=case.holder_id,
            to_holder_id=case.holder_id,
            reason=REASON,
            data={
                "dispatch": dispatch.pk,
                "department": dispatch.department_id,
                "role": dispatch.role,
                "late": late,
            },
            version=version,
            # Nobody is told of an old case's bookkeeping.
            notified_at=timezone.now(),
        )


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0005_notifications_of_access_alerts'),
    ]

    operations = [
        migrations.AddField(
            model_name='departmentrollup',
            name='closed_with_case',
            field=models.IntegerField(default=0, verbose_name='closed with the case in time'),
        ),
        migrations.AddField(
            model_name='dispatch',
            name='closed_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='closed with the case'),
        ),
        migrations.AddField(
            model_name='dispatch',
            name='closure_reason',
            field=models.TextField(blank=True, verbose_name='reason for closing with the case'),
        ),
        migrations.AlterField(
            model_name='dispatch',
            name='status',
            field=models.CharField(choices=[('pending', 'Waiting for signature'), ('signed', 'Signed'), ('refused', 'Refused'), ('done', 'Reported done'), ('cancelled', 'Cancelled'), ('closed_with_case', 'Closed with the case')], default='pending', max_length=20, verbose_name='status'),
        ),
        migrations.RunPython(close_left_open, migrations.RunPython.noop),
    ]
