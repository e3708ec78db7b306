"""Read-only views of the worker bookkeeping for staff (task results have django-tasks-db's admin)."""

from django.contrib import admin

from rapport.jobs.models import PeriodicSlot, WorkerHeartbeat


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(ReadOnlyAdmin):
    list_display = ["worker_id", "hostname", "pid", "queues", "started_at", "last_seen"]


@admin.register(PeriodicSlot)
class PeriodicSlotAdmin(ReadOnlyAdmin):
    list_display = ["name", "slot_start", "claimed_at", "worker_id", "task_result_id"]
    list_filter = ["name"]
