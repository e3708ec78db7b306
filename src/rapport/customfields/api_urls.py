"""Custom-field endpoints, included under /api/v1/ in rapport/urls.py."""

from rest_framework.routers import SimpleRouter

from rapport.customfields.api import CustomFieldViewSet

app_name = "customfields_api"

router = SimpleRouter(use_regex_path=False)
router.register("custom-fields", CustomFieldViewSet, basename="customfield")

urlpatterns = router.urls
