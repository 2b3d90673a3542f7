from django.urls import path

from teams import views

app_name = "teams"

urlpatterns = [
    path("", views.TeamListView.as_view(), name="list"),
    path("new/", views.TeamCreateView.as_view(), name="create"),
    path("<int:pk>/", views.TeamDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.TeamUpdateView.as_view(), name="update"),
    path("<int:pk>/leader/", views.TeamSetLeaderView.as_view(), name="set_leader"),
    path("<int:pk>/members/new/", views.AssignmentCreateView.as_view(), name="assignment_create"),
    path("assignments/<int:pk>/end/", views.AssignmentEndView.as_view(), name="assignment_end"),
    path("cadres/", views.CadreListView.as_view(), name="cadre_list"),
    path("cadres/new/", views.CadreCreateView.as_view(), name="cadre_create"),
    path("cadres/<int:pk>/", views.CadreDetailView.as_view(), name="cadre_detail"),
    path("cadres/<int:pk>/edit/", views.CadreUpdateView.as_view(), name="cadre_update"),
    path("cadres/<int:pk>/reveal-id/", views.CadreRevealIdView.as_view(), name="cadre_reveal_id"),
    path("leave/", views.LeaveListView.as_view(), name="leave_list"),
    path("leave/new/", views.LeaveCreateView.as_view(), name="leave_create"),
    path("leave/<int:pk>/decide/", views.LeaveDecideView.as_view(), name="leave_decide"),
]
