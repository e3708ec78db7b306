from django.urls import path

from rapport.activities import notification_views, task_views, views

app_name = "activities"
urlpatterns = [
    path("activities/log/", views.log_activity, name="log"),
    path("activities/<int:pk>/", views.activity_detail, name="activity_detail"),
    path("activities/<int:pk>/edit/", views.activity_edit, name="activity_edit"),
    path("activities/<int:pk>/pin/", views.activity_pin, name="activity_pin"),
    path("activities/<int:pk>/delete/", views.activity_delete, name="activity_delete"),
    path("activities/<int:pk>/retry/", task_views.email_retry, name="email_retry"),
    path("timeline/<str:target_type>/<int:target_id>/", views.timeline, name="timeline"),
    path("tasks/", task_views.my_tasks, name="my_tasks"),
    path("tasks/team/", task_views.team_tasks, name="team_tasks"),
    path("tasks/new/", task_views.task_create, name="task_create"),
    path("tasks/<int:pk>/complete/", task_views.task_complete, name="task_complete"),
    path("tasks/<int:pk>/reopen/", task_views.task_reopen, name="task_reopen"),
    path("contacts/<int:contact_pk>/email/", task_views.email_compose, name="email_compose"),
    path("notifications/", notification_views.notification_list, name="notifications"),
    path("notifications/bell/", notification_views.bell, name="bell"),
    path("notifications/read/", notification_views.notifications_read, name="notifications_read"),
    path("notifications/preferences/", notification_views.preferences, name="preferences"),
    path("calendar/", notification_views.calendar_week, name="calendar"),
    path("calendar/feed/", notification_views.feed_manage, name="feed_manage"),
    path("calendar/feed/<str:token>.ics", notification_views.feed, name="feed"),
]
