from django.urls import path

from rapport.accounts import security_log, views

app_name = "accounts"

urlpatterns = [
    path("accounts/profile/", views.profile, name="profile"),
    path("workspace/members/", views.members, name="members"),
    path("workspace/members/invite/", views.invitation_create, name="invitation_create"),
    path("workspace/members/<int:pk>/", views.member_edit, name="member_edit"),
    path("workspace/members/<int:pk>/deactivate/", views.member_deactivate, name="member_deactivate"),
    path("workspace/members/<int:pk>/reactivate/", views.member_reactivate, name="member_reactivate"),
    path("workspace/members/<int:pk>/remove/", views.member_remove, name="member_remove"),
    path("workspace/invitations/<int:pk>/resend/", views.invitation_resend, name="invitation_resend"),
    path("workspace/invitations/<int:pk>/revoke/", views.invitation_revoke, name="invitation_revoke"),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("workspace/teams/new/", views.team_create, name="team_create"),
    path("workspace/teams/<int:pk>/", views.team_edit, name="team_edit"),
    path("workspace/teams/<int:pk>/delete/", views.team_delete, name="team_delete"),
    path("workspace/settings/", views.workspace_settings, name="workspace_settings"),
    path("workspace/security-log/", security_log.security_log, name="security_log"),
    path("workspace/security-log/export.csv", security_log.security_log_export, name="security_log_export"),
]
