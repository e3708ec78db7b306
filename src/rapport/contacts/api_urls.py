from rest_framework.routers import SimpleRouter

from rapport.contacts.api import CompanyViewSet, ContactViewSet, TagViewSet

app_name = "contacts_api"

router = SimpleRouter(use_regex_path=False)
router.register("contacts", ContactViewSet, basename="contact")
router.register("companies", CompanyViewSet, basename="company")
router.register("tags", TagViewSet, basename="tag")
urlpatterns = router.urls
