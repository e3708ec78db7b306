from rest_framework.routers import SimpleRouter

from rapport.imports.api import ImportRunViewSet

app_name = "imports_api"

router = SimpleRouter(use_regex_path=False)
router.register("imports", ImportRunViewSet, basename="import")
urlpatterns = router.urls
