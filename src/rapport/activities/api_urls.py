from rest_framework.routers import SimpleRouter

from rapport.activities.api import ActivityViewSet, NoteViewSet, NotificationViewSet, TaskViewSet

app_name = "activities_api"

router = SimpleRouter(use_regex_path=False)
router.register("activities", ActivityViewSet, basename="activity")
router.register("tasks", TaskViewSet, basename="task")
router.register("notes", NoteViewSet, basename="note")
router.register("notifications", NotificationViewSet, basename="notification")
urlpatterns = router.urls
