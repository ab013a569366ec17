from django.urls import path

from cases import followup_views, timeline_views, views

app_name = "cases"

urlpatterns = [
    path("board/", views.board, name="board"),
    path("board/reassign/", views.board_reassign, name="board-reassign"),
    path("<int:pk>/", views.case_detail, name="detail"),
    path("<int:pk>/escalate/", views.case_escalate, name="case-escalate"),
    path("<int:pk>/resolve/", views.case_resolve, name="case-resolve"),
    path("<int:pk>/reopen/", views.case_reopen, name="case-reopen"),
    path("<int:pk>/close/", views.case_close, name="case-close"),
    path("<int:pk>/wait/", views.case_wait, name="case-wait"),
    path("<int:pk>/resume/", views.case_resume, name="case-resume"),
    path("<int:pk>/assign/", views.case_assign, name="case-assign"),
    path("clients/<int:client_pk>/open/", views.case_open, name="case-open"),
    path("clients/<int:client_pk>/timeline/", views.client_timeline, name="client-timeline"),
    path(
        "clients/<int:client_pk>/interactions/new/",
        views.interaction_log,
        name="interaction-log",
    ),
    path("interactions/<int:pk>/type/", views.interaction_type, name="interaction-type"),
    path("templates/body/", views.template_body, name="template-body"),
    # The timeline's internal notes and files (cases.timeline_views).
    path("<int:pk>/notes/", timeline_views.note_add, name="note-add"),
    path("notes/<int:pk>/edit/", timeline_views.note_edit, name="note-edit"),
    path("<int:pk>/attachments/", timeline_views.attachment_add, name="attachment-add"),
    path("attachments/<int:pk>/", timeline_views.attachment_download, name="attachment"),
    # Follow-up (docs/follow-up.md)
    path("feedback/", followup_views.feedback_review, name="feedback-review"),
    path(
        "feedback/<int:pk>/review/",
        followup_views.feedback_review_mark,
        name="feedback-review-mark",
    ),
    path("notices/", followup_views.notice_list, name="notices"),
    path("notices/new/", followup_views.notice_new, name="notice-new"),
    path("notices/<int:pk>/cancel/", followup_views.notice_cancel, name="notice-cancel"),
    path("clients/<int:client_pk>/surveys/send/", followup_views.survey_send, name="survey-send"),
    path("<int:pk>/rescue-area/", followup_views.rescue_area, name="rescue-area"),
]
