from rest_framework.routers import SimpleRouter

app_name = "ops_api"

router = SimpleRouter(use_regex_path=False)
urlpatterns = router.urls
