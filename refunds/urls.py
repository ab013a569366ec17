from django.urls import path

from refunds import views

app_name = "refunds"

urlpatterns = [
    path("new/<int:purchase_id>/", views.request_new, name="request-new"),
    path("<int:pk>/", views.request_detail, name="request-detail"),
    path("<int:pk>/diagnosis/", views.request_diagnose, name="request-diagnose"),
    path("<int:pk>/offers/", views.request_offer, name="request-offer"),
    path("<int:pk>/offers/<int:offer_pk>/answer/", views.offer_answer, name="offer-answer"),
    path("<int:pk>/proposal/", views.request_propose, name="request-propose"),
    path("<int:pk>/approve/", views.request_approve, name="request-approve"),
    path("<int:pk>/reject/", views.request_reject, name="request-reject"),
    path("<int:pk>/withdraw/", views.request_withdraw, name="request-withdraw"),
    path("<int:pk>/exit-survey/send/", views.survey_send, name="survey-send"),
    path("<int:pk>/exit-survey/", views.survey_record, name="survey-record"),
    path("<int:pk>/cancellation/", views.cancellation_complete, name="cancellation-complete"),
    path("<int:pk>/attachments/", views.attachment_add, name="attachment-add"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment"),
    path("approvals/leader/", views.leader_queue, name="leader-queue"),
    path("approvals/director/", views.director_queue, name="director-queue"),
]
