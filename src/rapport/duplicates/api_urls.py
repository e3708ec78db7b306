from rest_framework.routers import SimpleRouter

from rapport.duplicates.api import DuplicateViewSet

app_name = "duplicates_api"

router = SimpleRouter(use_regex_path=False)
router.register("duplicates", DuplicateViewSet, basename="duplicate")
urlpatterns = router.urls
