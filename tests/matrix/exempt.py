"""URL names that need no matrix row, each with the reason."""

EXEMPT_PREFIXES = {
    "admin:": "Django's platform admin, for staff users only (is_staff), outside workspaces.",
    "account_": "django-allauth's login, signup, password and email pages act on the logged-in person only.",
    "mfa_": "django-allauth's two-factor pages act on the logged-in person only.",
}
EXEMPT_NAMES = {
    "healthz": "liveness probe: public by design, returns no data",
    "readyz": "readiness probe: public by design, returns no business data",
    "django.contrib.staticfiles.views.serve": "static files in development",
}
