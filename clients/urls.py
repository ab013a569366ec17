from django.urls import path

from clients import views

app_name = "clients"

urlpatterns = [
    path("", views.client_list, name="list"),
    path("<int:pk>/", views.client_detail, name="detail"),
    path("<int:pk>/segment/", views.segment_override, name="segment-override"),
    path("purchases/<int:pk>/", views.purchase_detail, name="purchase"),
    path(
        "purchases/<int:pk>/installments/<int:installment_pk>/payment/",
        views.installment_payment,
        name="installment-payment",
    ),
]
