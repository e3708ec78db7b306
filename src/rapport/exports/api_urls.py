from rest_framework.routers import SimpleRouter

from rapport.exports.api import ExportRunViewSet

app_name = "exports_api"

router = SimpleRouter(use_regex_path=False)
router.register("exports", ExportRunViewSet, basename="export")
urlpatterns = router.urls
