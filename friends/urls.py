from django.urls import path

from friends import views

app_name = "friends"

urlpatterns = [
    path("", views.index, name="index"),
    path("refresh/", views.refresh, name="refresh"),
]
