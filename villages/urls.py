from django.urls import path

from villages import views

app_name = "villages"

urlpatterns = [
    path("", views.VillageListView.as_view(), name="list"),
    path("<str:code>/", views.VillageDetailView.as_view(), name="detail"),
]
