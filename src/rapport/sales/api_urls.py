from django.urls import path
from rest_framework.routers import SimpleRouter

from rapport.sales.api.views import (
    DealViewSet,
    ForecastView,
    OrderViewSet,
    PipelineViewSet,
    ProductViewSet,
    QuoteViewSet,
)

app_name = "sales_api"

router = SimpleRouter(use_regex_path=False)
router.register("pipelines", PipelineViewSet, basename="pipeline")
router.register("deals", DealViewSet, basename="deal")
router.register("products", ProductViewSet, basename="product")
router.register("quotes", QuoteViewSet, basename="quote")
router.register("orders", OrderViewSet, basename="order")

urlpatterns = [path("forecast/", ForecastView.as_view(), name="forecast"), *router.urls]
